import type { ZodType } from "zod";
import { ErrorBody } from "../../protocol/index.js";
import { ApiError, NetworkError, UnexpectedResponseError } from "./errors.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** Server origin, e.g. `http://127.0.0.1:53412` (no trailing slash needed). */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  /** The bearer token to send, or null when signed out. */
  readonly getToken: () => string | null;
  /** Called when a request that carried a token gets 401: the session is gone. */
  readonly onUnauthenticated?: () => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts in all (first try included) for 503s and, on GETs, network failures. */
  readonly maxAttempts?: number;
  /** Wait used when a 503 has no Retry-After, and the base of the GET network backoff. */
  readonly retryDelayMs?: number;
  /** Upper bound of any single wait, whatever Retry-After asks for. */
  readonly maxRetryDelayMs?: number;
  /** Per-attempt timeout: a hung request must not freeze a lock flow. */
  readonly timeoutMs?: number;
}

const DEFAULTS = Object.freeze({
  maxAttempts: 4,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 10_000,
  timeoutMs: 15_000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

export interface RequestSpec<T> {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  /** Schema of a 2xx body; null when the answer has no body we care about (204). */
  readonly schema: ZodType<T> | null;
}

export interface Http {
  request<T>(spec: RequestSpec<T>): Promise<T>;
  /** Absolute URL of an API path on this server. */
  url(path: string): string;
  /** Headers with the current bearer token, for requests made outside `request` (keepalive, worker). */
  headers(): Record<string, string>;
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns
 * milliseconds, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function createHttp(options: HttpOptions): Http {
  const o = { ...DEFAULTS, ...options };
  const base = o.baseUrl.replace(/\/+$/, "");
  const url = (path: string): string => `${base}${path}`;

  const headers = (): Record<string, string> => {
    const token = o.getToken();
    const h: Record<string, string> = { Accept: "application/json" };
    if (token !== null) h.Authorization = `Bearer ${token}`;
    return h;
  };

  async function once(spec: RequestSpec<unknown>): Promise<{ res: Response; tokenSent: boolean }> {
    const h = headers();
    const init: RequestInit = { method: spec.method, headers: h };
    if (spec.body !== undefined) {
      h["Content-Type"] = "application/json";
      init.body = JSON.stringify(spec.body);
    }
    if (typeof AbortSignal !== "undefined" && "timeout" in AbortSignal) {
      init.signal = AbortSignal.timeout(o.timeoutMs);
    }
    try {
      const res = await o.fetch(url(spec.path), init);
      return { res, tokenSent: h.Authorization !== undefined };
    } catch (e) {
      throw new NetworkError(`${spec.method} ${spec.path} failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  async function readJson(res: Response, path: string): Promise<unknown> {
    const text = await res.text();
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UnexpectedResponseError(res.status, path, "the body is not JSON");
    }
  }

  async function toError(res: Response, path: string): Promise<Error> {
    const retryAfterMs = parseRetryAfter(res.headers.get("Retry-After"));
    let body: unknown;
    try {
      body = await readJson(res, path);
    } catch (e) {
      if (res.status === 503) return new ApiError(503, "store_unavailable", "Service unavailable", { retryAfterMs });
      return e as Error;
    }
    const parsed = ErrorBody.safeParse(body);
    if (!parsed.success) {
      if (res.status === 503) return new ApiError(503, "store_unavailable", "Service unavailable", { retryAfterMs });
      return new UnexpectedResponseError(res.status, path, "the error body does not match the protocol");
    }
    const err = parsed.data.error;
    return new ApiError(res.status, err.code, err.message, {
      holder: err.holder,
      currentVersion: err.current_version,
      requestId: err.request_id,
      retryAfterMs,
    });
  }

  async function request<T>(spec: RequestSpec<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= o.maxAttempts;
      let outcome: { res: Response; tokenSent: boolean };
      try {
        outcome = await once(spec);
      } catch (e) {
        // Only GETs are retried after a network failure: a POST may have been applied.
        if (spec.method !== "GET" || last) throw e;
        await o.sleep(Math.min(o.maxRetryDelayMs, o.retryDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      const { res, tokenSent } = outcome;
      if (res.ok) {
        if (spec.schema === null) {
          await res.body?.cancel();
          return undefined as T;
        }
        const body = await readJson(res, spec.path);
        const parsed = spec.schema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
          throw new UnexpectedResponseError(res.status, spec.path, where);
        }
        return parsed.data;
      }
      const error = await toError(res, spec.path);
      if (res.status === 401 && tokenSent) o.onUnauthenticated?.();
      // 503: the server did nothing (lock store down). Retry politely, as told, a few times.
      if (res.status === 503 && !last) {
        const asked = error instanceof ApiError ? error.details.retryAfterMs : undefined;
        await o.sleep(Math.min(o.maxRetryDelayMs, asked ?? o.retryDelayMs));
        continue;
      }
      throw error;
    }
  }

  return { request, url, headers };
}
