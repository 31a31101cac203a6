import { createStore, type StateCreator } from "zustand/vanilla";
import type { ConnectionSnapshot } from "../realtime/socket.js";

export interface SocketSlice extends ConnectionSnapshot {
  setSnapshot(s: ConnectionSnapshot): void;
}

export interface NetworkSlice {
  /** navigator.onLine: false means certainly offline, true means maybe online. */
  online: boolean;
  setOnline(online: boolean): void;
}

export type ConnectionState = SocketSlice & NetworkSlice;

const createSocketSlice: StateCreator<ConnectionState, [], [], SocketSlice> = (set) => ({
  status: "idle",
  attempt: 0,
  retryAt: null,
  lastError: null,
  setSnapshot: (s) => set({ status: s.status, attempt: s.attempt, retryAt: s.retryAt, lastError: s.lastError }),
});

const createNetworkSlice: StateCreator<ConnectionState, [], [], NetworkSlice> = (set) => ({
  online: true,
  setOnline: (online) => set({ online }),
});

export function createConnectionStore() {
  return createStore<ConnectionState>()((...a) => ({ ...createSocketSlice(...a), ...createNetworkSlice(...a) }));
}
export type ConnectionStore = ReturnType<typeof createConnectionStore>;

/** What the status badge says. */
export function describeConnection(s: Pick<ConnectionState, "status" | "online" | "attempt">): {
  tone: "ok" | "warn" | "bad";
  label: string;
} {
  if (!s.online) return { tone: "bad", label: "Offline" };
  switch (s.status) {
    case "open":
      return { tone: "ok", label: "Live" };
    case "connecting":
      return { tone: "warn", label: s.attempt > 0 ? "Reconnecting…" : "Connecting…" };
    case "reconnecting":
      return { tone: "warn", label: "Reconnecting…" };
    case "idle":
    case "stopped":
      return { tone: "bad", label: "Not connected" };
    default: {
      const _never: never = s.status;
      return _never;
    }
  }
}
