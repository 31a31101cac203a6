import { z } from "zod";
import { createStore, type StateCreator } from "zustand/vanilla";

/** The part of the Web Storage API the draft store uses (localStorage in the app). */
export interface StorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Unsaved text kept on this machine, per user and document, so that losing the lock (or
 * the window crashing) never loses what was typed. Stored as JSON under
 * `lockstep.draft.v1:<userId>:<documentId>`; this format is ours, not the wire's.
 */
const StoredDraft = z.object({
  documentId: z.string(),
  userId: z.string(),
  title: z.string(),
  content: z.string(),
  /** The document version the text was typed on: if still current, it applies cleanly. */
  baseVersion: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type Draft = z.infer<typeof StoredDraft>;

const PREFIX = "lockstep.draft.v1:";
export const draftKey = (userId: string, documentId: string): string => `${PREFIX}${userId}:${documentId}`;

export interface DraftsSlice {
  /** The signed-in user's drafts, by document id. */
  drafts: Record<string, Draft>;
  userId: string | null;
  /** Set when the last write failed (storage full or disabled): the UI must say so. */
  storageError: string | null;
  /** Reads this user's drafts from storage. */
  loadFor(userId: string | null): void;
  put(draft: Omit<Draft, "userId" | "updatedAt">, now?: Date): void;
  remove(documentId: string): void;
}

export function createDraftsStore(storage: StorageLike) {
  const slice: StateCreator<DraftsSlice, [], [], DraftsSlice> = (set, get) => ({
    drafts: {},
    userId: null,
    storageError: null,
    loadFor(userId) {
      if (userId === null) return set({ drafts: {}, userId: null });
      const drafts: Record<string, Draft> = {};
      const prefix = `${PREFIX}${userId}:`;
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const k = storage.key(i);
        if (k?.startsWith(prefix)) keys.push(k);
      }
      for (const k of keys) {
        try {
          const parsed = StoredDraft.safeParse(JSON.parse(storage.getItem(k) ?? "null"));
          if (parsed.success && parsed.data.userId === userId) drafts[parsed.data.documentId] = parsed.data;
        } catch {
          // A corrupt entry is left alone rather than deleted: it may be someone's text.
        }
      }
      set({ drafts, userId, storageError: null });
    },
    put(input, now = new Date()) {
      const userId = get().userId;
      if (userId === null) return;
      const draft: Draft = { ...input, userId, updatedAt: now.toISOString() };
      // In memory first: even if storage refuses, the draft survives while the window lives.
      set((s) => ({ drafts: { ...s.drafts, [draft.documentId]: draft } }));
      try {
        storage.setItem(draftKey(userId, draft.documentId), JSON.stringify(draft));
        if (get().storageError !== null) set({ storageError: null });
      } catch (e) {
        set({ storageError: `Could not store the draft on this computer: ${e instanceof Error ? e.message : String(e)}` });
      }
    },
    remove(documentId) {
      const userId = get().userId;
      if (userId === null) return;
      try {
        storage.removeItem(draftKey(userId, documentId));
      } catch {
        // Nothing to do: the entry stays, and is dropped again next time.
      }
      set((s) => {
        if (!(documentId in s.drafts)) return s;
        const { [documentId]: _gone, ...rest } = s.drafts;
        return { drafts: rest };
      });
    },
  });
  return createStore<DraftsSlice>()((...a) => ({ ...slice(...a) }));
}
export type DraftsStore = ReturnType<typeof createDraftsStore>;

/** An in-memory StorageLike (when localStorage is unavailable, and for tests). */
export function memoryStorage(): StorageLike {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem: (k) => void map.delete(k),
  };
}
