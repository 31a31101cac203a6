/**
 * `window.lockstep`: what the desktop app's preload exposes to the page (src-main/bridge.ts
 * builds it; src-renderer reads it, defensively, since a browser has none). Types only: the
 * preload bundle must stay free of runtime imports.
 */

export type ServerMode = "embedded" | "team";

/** What the page learns about its host app. */
export interface BridgeFacts {
  /** Origin of the Lockstep server this window is bound to (the page's own origin). */
  readonly serverUrl: string;
  /** Embedded server in this app, or a team server run by IT. */
  readonly serverMode: ServerMode;
  readonly appVersion: string;
  /** Node's `process.platform` of the desktop app (`darwin`, `win32`, `linux`). */
  readonly platform: string;
}

/** A server choice, as the settings screen sends it. */
export type ServerChoice = { readonly mode: "embedded" } | { readonly mode: "team"; readonly url: string };

export type SwitchServerResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: "invalid_url" | "cancelled" | "failed"; readonly message: string };

export interface LockstepBridge extends BridgeFacts {
  /**
   * Switch to the embedded server or to a team server. Main validates the choice, asks the
   * user to confirm in a native dialog, saves it, and reopens the window on the new server —
   * so on success this page goes away before (or just after) the promise resolves.
   */
  switchServer(choice: ServerChoice): Promise<SwitchServerResult>;
}
