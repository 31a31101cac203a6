/**
 * The heartbeat loop: POST .../lock/heartbeat every `intervalMs` and report each answer raw.
 * It runs inside a dedicated Web Worker (heartbeat.worker.ts), whose timers Chromium does not
 * throttle like a hidden page's, and on the main thread only as a fallback. It knows nothing
 * of the protocol's schemas: the main thread parses every answer at its edge.
 */

export interface HeartbeatConfig {
  /** Absolute URL of POST /api/documents/{id}/lock/heartbeat. */
  readonly url: string;
  /** Request headers, with the bearer token. */
  readonly headers: Readonly<Record<string, string>>;
  readonly clientId: string;
  readonly lockToken: number;
  /** ttl_ms / 3: two beats may be lost before the lock expires. */
  readonly intervalMs: number;
}

/** One heartbeat's outcome, as plain data (it crosses postMessage). */
export type BeatReport =
  | { readonly kind: "response"; readonly status: number; readonly body: unknown; readonly retryAfter: string | null; readonly sentAt: number }
  | { readonly kind: "network_error"; readonly message: string; readonly sentAt: number };

/** Messages into the worker. */
export type HeartbeatCommand = { readonly type: "start"; readonly config: HeartbeatConfig } | { readonly type: "stop" };

export interface LoopTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface HeartbeatLoop {
  start(config: HeartbeatConfig): void;
  stop(): void;
}

/** After a network failure, try again sooner than a full interval (but never later). */
const NETWORK_RETRY_MS = 2_000;
const MIN_DELAY_MS = 250;

/**
 * Statuses after which beating again is pointless: the lock is gone (404), someone else holds
 * it (409), or we are signed out (401/403). The main thread decides what happens next.
 */
const TERMINAL = new Set([401, 403, 404, 409]);

export function createHeartbeatLoop(
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
  report: (r: BeatReport) => void,
  timers: LoopTimers,
): HeartbeatLoop {
  let timer: unknown = null;
  /** Bumped by start/stop so an answer from a previous lock is never reported. */
  let generation = 0;

  const schedule = (gen: number, config: HeartbeatConfig, ms: number): void => {
    timer = timers.setTimeout(() => void beat(gen, config), Math.max(MIN_DELAY_MS, ms));
  };

  async function beat(gen: number, config: HeartbeatConfig): Promise<void> {
    const sentAt = timers.now();
    let res: Response;
    try {
      res = await fetchImpl(config.url, {
        method: "POST",
        headers: { ...config.headers, "Content-Type": "application/json" },
        body: JSON.stringify({ client_id: config.clientId, lock_token: config.lockToken }),
      });
    } catch (e) {
      if (gen !== generation) return;
      report({ kind: "network_error", message: e instanceof Error ? e.message : String(e), sentAt });
      schedule(gen, config, Math.min(config.intervalMs, NETWORK_RETRY_MS));
      return;
    }
    let body: unknown = null;
    try {
      const text = await res.text();
      body = text === "" ? null : (JSON.parse(text) as unknown);
    } catch {
      body = null;
    }
    if (gen !== generation) return;
    const retryAfter = res.headers.get("Retry-After");
    report({ kind: "response", status: res.status, body, retryAfter, sentAt });
    if (TERMINAL.has(res.status)) return;
    if (res.ok) {
      schedule(gen, config, config.intervalMs);
      return;
    }
    // 503 and anything unexpected: honour Retry-After, but never wait past one interval,
    // or the lock would expire while we are being polite.
    const asked = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : NETWORK_RETRY_MS;
    schedule(gen, config, Math.min(config.intervalMs, asked));
  }

  return {
    start(config) {
      generation++;
      if (timer !== null) timers.clearTimeout(timer);
      schedule(generation, config, config.intervalMs);
    },
    stop() {
      generation++;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
