import { createStore, type StateCreator } from "zustand/vanilla";

export interface Notice {
  readonly id: number;
  readonly tone: "info" | "success" | "warning" | "error";
  readonly text: string;
}

export interface NoticesSlice {
  /** Newest last; shown in an aria-live region. */
  notices: readonly Notice[];
  push(tone: Notice["tone"], text: string): number;
  dismiss(id: number): void;
}

/** At most this many notices are on screen; older ones go first. */
const MAX_NOTICES = 3;

const createNoticesSlice: StateCreator<NoticesSlice, [], [], NoticesSlice> = (set, get) => {
  let next = 1;
  return {
    notices: [],
    push(tone, text) {
      const id = next++;
      set({ notices: [...get().notices, { id, tone, text }].slice(-MAX_NOTICES) });
      return id;
    },
    dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  };
};

export function createNoticesStore() {
  return createStore<NoticesSlice>()((...a) => ({ ...createNoticesSlice(...a) }));
}
export type NoticesStore = ReturnType<typeof createNoticesStore>;
