/**
 * What a Lockstep window may navigate to, open, and ask for. Pure functions over URLs: the
 * Electron glue (main.ts) wires them to `will-navigate`, `will-redirect`,
 * `setWindowOpenHandler` and the session's permission handlers.
 *
 * Invariant: a window is bound to one server origin for its lifetime. It never leaves that
 * origin, never opens a second Electron window, and only hands https links to the system
 * browser.
 */

/** The origin of a URL (`scheme://host:port`), or null when it does not parse or has none. */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    // Opaque origins (data:, blob:, about:, file: in some cases) serialize as "null".
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/** True when `url` is on exactly `serverOrigin` (scheme, host and port). */
export function isSameOrigin(url: string, serverOrigin: string): boolean {
  const origin = originOf(url);
  return origin !== null && origin === originOf(serverOrigin);
}

/** `will-navigate` / `will-redirect`: stay on the server, everything else is refused. */
export function isNavigationAllowed(url: string, serverOrigin: string): boolean {
  return isSameOrigin(url, serverOrigin);
}

export class UnsafeExternalUrlError extends Error {
  override name = "UnsafeExternalUrlError";
  constructor(readonly url: string) {
    super("Refusing to open a URL in the system browser: only plain https URLs are allowed.");
  }
}

/**
 * The URL normalized for the system browser, or null when it must not be opened: only
 * `https:` with a host, and no user:password part (a classic way to disguise the real host).
 */
export function toSafeExternalUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" || parsed.hostname === "") return null;
  if (parsed.username !== "" || parsed.password !== "") return null;
  return parsed.href;
}

/**
 * The only argument `shell.openExternal` ever receives (a lint rule holds that):
 * throws UnsafeExternalUrlError for anything `toSafeExternalUrl` refuses.
 */
export function requireSafeExternalUrl(url: string): string {
  const safe = toSafeExternalUrl(url);
  if (safe === null) throw new UnsafeExternalUrlError(url);
  return safe;
}

/** The answer to `setWindowOpenHandler`: never a new Electron window. */
export interface WindowOpenDecision {
  readonly action: "deny";
  /** Set when the link should go to the system browser instead. */
  readonly openExternally: string | null;
}

/**
 * `target=_blank` links and `window.open`: denied; https links that leave the server open in
 * the system browser. Links to the server itself are just denied (the app has one window).
 */
export function decideWindowOpen(url: string, serverOrigin: string): WindowOpenDecision {
  if (isSameOrigin(url, serverOrigin)) return { action: "deny", openExternally: null };
  return { action: "deny", openExternally: toSafeExternalUrl(url) };
}

/**
 * Permissions the server's own pages may use. Everything else (camera, geolocation,
 * notifications, clipboard *read*, …) is denied. Sanitized clipboard *write* stays allowed
 * because the editor's "copy my draft" button needs it and Electron would otherwise refuse it
 * once a permission handler is installed.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(["clipboard-sanitized-write"]);

/** Permission request and check handlers: only ALLOWED_PERMISSIONS, only from the server. */
export function isPermissionAllowed(
  permission: string,
  requestingUrl: string,
  serverOrigin: string,
): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isSameOrigin(requestingUrl, serverOrigin);
}
