import type { ErrorCode, LockHolder } from "../../protocol/index.js";

/** Base of every error the API client throws, so callers can tell ours from bugs. */
export abstract class ClientError extends Error {
  /** True when trying again later may succeed (network trouble, 503). */
  abstract readonly transient: boolean;
}

/** The server answered with a protocol error body (`{error:{code,message,...}}`). */
export class ApiError extends ClientError {
  override name = "ApiError";
  readonly transient: boolean;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      /** With lock_held / lock_taken: who holds the lock now. */
      readonly holder?: LockHolder;
      /** With version_conflict: the document's current version. */
      readonly currentVersion?: number;
      /** The server's request id, to quote when reporting a problem. */
      readonly requestId?: string;
      /** From the Retry-After header of a 503 / 429. */
      readonly retryAfterMs?: number;
    } = {},
  ) {
    super(message);
    this.transient = status === 503;
  }
}

/** The request never got an answer: offline, DNS, connection refused, timeout. */
export class NetworkError extends ClientError {
  override name = "NetworkError";
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The server answered, but not in the shape the protocol promises (a proxy's HTML page, a
 * field of the wrong type...). Surfaced as an error instead of letting bad data into state.
 */
export class UnexpectedResponseError extends ClientError {
  override name = "UnexpectedResponseError";
  readonly transient = false;
  constructor(
    readonly status: number,
    readonly path: string,
    detail: string,
  ) {
    super(`Unexpected response from ${path} (HTTP ${status}): ${detail}`);
  }
}

export const isApiError = (e: unknown, code?: ErrorCode): e is ApiError =>
  e instanceof ApiError && (code === undefined || e.code === code);

/** A sentence for a person, from any error the client may throw. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === "store_unavailable") return "The server's lock store is unavailable. Try again in a moment.";
    if (e.code === "rate_limited") return "Too many attempts. Wait a moment and try again.";
    return e.message;
  }
  if (e instanceof NetworkError) return "Cannot reach the server. Check the connection.";
  if (e instanceof Error) return e.message;
  return String(e);
}
