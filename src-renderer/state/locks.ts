import { createStore, type StateCreator } from "zustand/vanilla";
import type { DocumentEvent, DocumentSummary, LockState } from "../../protocol/index.js";
import { initialLockState, type LockMachineState } from "../lock/machine.js";

const FREE: LockState = Object.freeze({ locked: false, holder: null, expires_at: null });

export interface LiveLocksSlice {
  /** Who holds each document's lock, as last heard (list load, snapshots, events). */
  live: Record<string, LockState>;
  /** Seeds from a document list; keeps nothing for documents no longer listed. */
  seedFromList(list: readonly DocumentSummary[]): void;
  setLock(documentId: string, lock: LockState): void;
  /** Applies a lock event (locked / unlocked / force-taken) broadcast in a document's room. */
  applyEvent(ev: DocumentEvent): void;
  forget(documentId: string): void;
}

export interface MachineSlice {
  /** The lock lifecycle of the document open in this window. */
  machine: LockMachineState;
  setMachine(machine: LockMachineState): void;
}

export type LocksState = LiveLocksSlice & MachineSlice;

const createLiveSlice: StateCreator<LocksState, [], [], LiveLocksSlice> = (set) => ({
  live: {},
  seedFromList: (list) => set({ live: Object.fromEntries(list.map((d) => [d.id, d.lock])) }),
  setLock: (documentId, lock) => set((s) => ({ live: { ...s.live, [documentId]: lock } })),
  applyEvent: (ev) =>
    set((s) => {
      switch (ev.type) {
        case "document_locked":
        case "document_force_taken":
          return { live: { ...s.live, [ev.document_id]: { locked: true, holder: ev.holder, expires_at: null } } };
        case "document_unlocked": {
          // An unlock for a holder other than the one we know is stale (events can cross).
          const known = s.live[ev.document_id]?.holder;
          if (known && known.client_id !== ev.previous_holder.client_id) return s;
          return { live: { ...s.live, [ev.document_id]: FREE } };
        }
        case "document_deleted": {
          const { [ev.document_id]: _gone, ...rest } = s.live;
          return { live: rest };
        }
        case "document_updated":
          return s;
        default: {
          const _never: never = ev;
          return _never;
        }
      }
    }),
  forget: (documentId) =>
    set((s) => {
      const { [documentId]: _gone, ...rest } = s.live;
      return { live: rest };
    }),
});

const createMachineSlice: StateCreator<LocksState, [], [], MachineSlice> = (set) => ({
  machine: initialLockState,
  setMachine: (machine) => set({ machine }),
});

export function createLocksStore() {
  return createStore<LocksState>()((...a) => ({ ...createLiveSlice(...a), ...createMachineSlice(...a) }));
}
export type LocksStore = ReturnType<typeof createLocksStore>;
