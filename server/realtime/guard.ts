import { isIP } from "node:net";

export type GuardVerdict = "ok" | "bad_host" | "bad_origin";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

const hostName = (host: string): string => {
  // "[::1]:8080" -> "[::1]", "example.com:443" -> "example.com"
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1).toLowerCase();
  return host.split(":")[0]?.toLowerCase() ?? "";
};

/** Whether a socket's remote address is this machine's loopback (IPv4, IPv6, IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return v4 === "::1" || (isIP(v4) === 4 && v4.startsWith("127."));
}

const isLoopbackListen = (listenHost: string): boolean =>
  LOOPBACK_NAMES.has(listenHost) || (isIP(listenHost) === 4 && listenHost.startsWith("127."));

/**
 * Guards against DNS rebinding and cross-site WebSocket hijacking.
 * - Host: a server listening on loopback only answers to loopback names (a page on evil.example
 *   that rebinds its name to 127.0.0.1 still sends `Host: evil.example`), plus `allowedHosts`.
 *   A server listening on a LAN address accepts any Host unless `allowedHosts` is set.
 * - Origin: absent (non-browser clients) or the server's own origin (same scheme-less host) or
 *   one of `allowedOrigins`.
 */
export class RequestGuard {
  private readonly allowedHosts: Set<string>;
  private readonly allowedOrigins: Set<string>;

  constructor(
    private readonly listenHost: string,
    allowedHosts: readonly string[],
    allowedOrigins: readonly string[],
  ) {
    this.allowedHosts = new Set(allowedHosts.map((h) => hostName(h)));
    this.allowedOrigins = new Set(allowedOrigins.map((o) => o.replace(/\/$/, "").toLowerCase()));
  }

  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    const name = hostName(host);
    if (this.allowedHosts.has(name)) return true;
    if (isLoopbackListen(this.listenHost)) return LOOPBACK_NAMES.has(name) || (isIP(name) === 4 && name.startsWith("127."));
    return this.allowedHosts.size === 0;
  }

  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.allowedOrigins.has(normalized)) return true;
    try {
      const url = new URL(normalized);
      return host !== undefined && url.host === host.toLowerCase() && (url.protocol === "http:" || url.protocol === "https:");
    } catch {
      return false;
    }
  }

  check(host: string | undefined, origin: string | undefined): GuardVerdict {
    if (!this.hostAllowed(host)) return "bad_host";
    if (!this.originAllowed(origin, host)) return "bad_origin";
    return "ok";
  }
}
