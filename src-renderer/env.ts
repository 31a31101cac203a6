import type { ServerSlice } from "./state/session.js";

import type { ServerChoice, SwitchServerResult } from "../protocol/bridge.js";

export type { ServerChoice, SwitchServerResult };

/**
 * What the desktop app's preload exposes as `window.lockstep` (protocol/bridge.ts); absent in
 * a browser. Every field is optional here and read defensively: the page must not break if
 * the bridge is older or newer than this build.
 */
export interface LockstepBridge {
  readonly serverUrl: string;
  readonly serverMode?: "embedded" | "team";
  readonly appVersion: string;
  readonly platform: string;
  switchServer?(choice: ServerChoice): Promise<SwitchServerResult>;
}

declare global {
  interface Window {
    lockstep?: LockstepBridge;
  }
}

const isHttpUrl = (v: unknown): v is string => {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};

/**
 * A fresh id for this window: 18 random bytes as URL-safe base64 (protocol ClientId: 8-64 of
 * [A-Za-z0-9_-]). getRandomValues also works in insecure contexts (a LAN server over http),
 * where crypto.randomUUID does not exist.
 */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  const b64 = btoa(String.fromCharCode(...bytes));
  return `w${b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** The bridge, if this page runs in the desktop app. */
export function readBridge(win: Window = window): LockstepBridge | null {
  const b = win.lockstep;
  return typeof b === "object" && b !== null ? b : null;
}

/** The server and the app this window belongs to. */
export function readServer(bridge: LockstepBridge | null, win: Window = window): ServerSlice {
  // The page is always served by its server (the CSP's connect-src is 'self'), so the page's
  // origin is the truth; the bridge's URL is only used when it agrees on being an http URL.
  const serverUrl = bridge !== null && isHttpUrl(bridge.serverUrl) ? bridge.serverUrl.replace(/\/+$/, "") : win.location.origin;
  return {
    serverUrl,
    desktop: bridge !== null,
    serverMode: bridge?.serverMode === "team" || bridge?.serverMode === "embedded" ? bridge.serverMode : null,
    canSwitchServer: typeof bridge?.switchServer === "function",
    appVersion: typeof bridge?.appVersion === "string" ? bridge.appVersion : null,
    platform: typeof bridge?.platform === "string" ? bridge.platform : null,
    clientId: newClientId(),
  };
}
