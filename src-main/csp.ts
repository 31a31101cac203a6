/**
 * The Content-Security-Policy main adds to every response from the server a window shows.
 * The server sends its own policy too; browsers enforce every policy they receive, so this one
 * is a floor the page can never get below, whatever the server (or a team server) sends.
 *
 * Invariant: scripts only from the server itself — no `unsafe-eval`, no `unsafe-inline`,
 * no `data:`/`blob:` scripts. Inline *styles* stay allowed: React `style={…}` attributes and
 * CodeMirror's injected style sheets need them, and they cannot run code.
 */

export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/** The policy for pages served from `serverOrigin` (e.g. `http://127.0.0.1:4123`). */
export function buildCspDirectives(serverOrigin: string): CspDirectives {
  const origin = new URL(serverOrigin);
  // `'self'` covers ws(s): to the same host in CSP3, but Chromium's handling of the
  // http -> ws upgrade has changed over time: name the socket origin explicitly.
  const socketOrigin = `${origin.protocol === "https:" ? "wss:" : "ws:"}//${origin.host}`;
  return {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", socketOrigin],
    // The heartbeat timer runs in a dedicated Worker loaded from the server.
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
  };
}

export function serializeCsp(directives: CspDirectives): string {
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(" "))
    .join("; ");
}

export function buildContentSecurityPolicy(serverOrigin: string): string {
  return serializeCsp(buildCspDirectives(serverOrigin));
}

/** Parses a policy string back into directives (lower-cased names; for tests and checks). */
export function parseCsp(policy: string): CspDirectives {
  const out: Record<string, string[]> = {};
  for (const part of policy.split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name === undefined || name === "") continue;
    out[name.toLowerCase()] = values;
  }
  return out;
}

/**
 * `onHeadersReceived` helper: returns new response headers with `policy` added. An existing
 * policy header (any case) is kept and ours appended to it, so both are enforced.
 */
export function withCspHeader(
  headers: Readonly<Record<string, readonly string[] | string>> | undefined,
  policy: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let existingKey: string | null = null;
  for (const [key, value] of Object.entries(headers ?? {})) {
    out[key] = typeof value === "string" ? [value] : [...value];
    if (key.toLowerCase() === "content-security-policy") existingKey = key;
  }
  const key = existingKey ?? "Content-Security-Policy";
  out[key] = [...(out[key] ?? []), policy];
  return out;
}
