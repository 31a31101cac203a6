import { createStore, type StateCreator } from "zustand/vanilla";
import type { Me } from "../../protocol/index.js";

/** Where the app is: checking the server, first-run setup, sign-in, or signed in. */
export type SessionPhase = "starting" | "setup" | "signed_out" | "signed_in";

export interface AuthSlice {
  phase: SessionPhase;
  token: string | null;
  me: Me | null;
  /** Why the user is looking at the sign-in screen, when it was not their choice. */
  signedOutReason: string | null;
  /** The server could not be reached while starting. */
  startError: string | null;
  needsSetup(): void;
  signedIn(token: string, me: Me): void;
  signedOut(reason?: string | null): void;
  startFailed(message: string): void;
}

export interface ServerSlice {
  /** The server this window talks to (the embedded one in the desktop app, else this page's origin). */
  readonly serverUrl: string;
  /** Running inside the desktop app (the preload bridge exists). */
  readonly desktop: boolean;
  /** Desktop only: the app's built-in server or a team server. */
  readonly serverMode: "embedded" | "team" | null;
  /** Desktop only: the bridge can switch servers (reopens the window). */
  readonly canSwitchServer: boolean;
  readonly appVersion: string | null;
  readonly platform: string | null;
  /** This window's id in lock calls: fresh per page load, so two windows never share one. */
  readonly clientId: string;
}

export type SessionState = AuthSlice & ServerSlice;

const createAuthSlice: StateCreator<SessionState, [], [], AuthSlice> = (set) => ({
  phase: "starting",
  token: null,
  me: null,
  signedOutReason: null,
  startError: null,
  needsSetup: () => set({ phase: "setup", token: null, me: null, startError: null }),
  signedIn: (token, me) => set({ phase: "signed_in", token, me, signedOutReason: null, startError: null }),
  signedOut: (reason = null) => set({ phase: "signed_out", token: null, me: null, signedOutReason: reason, startError: null }),
  startFailed: (message) => set({ startError: message }),
});

const createServerSlice =
  (server: ServerSlice): StateCreator<SessionState, [], [], ServerSlice> =>
  () => ({ ...server });

export function createSessionStore(server: ServerSlice) {
  return createStore<SessionState>()((...a) => ({ ...createAuthSlice(...a), ...createServerSlice(server)(...a) }));
}
export type SessionStore = ReturnType<typeof createSessionStore>;
