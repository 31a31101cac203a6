import { z } from "zod";
import { LockHolder } from "./locks.js";

/**
 * Every error code the server sends, over REST (`{error:{code,...}}`) and WebSocket
 * (`{type:"error", code}`). Clients switch on these; never rename one.
 */
export const ErrorCode = z.enum([
  "invalid_input", // 400: a param, query or body failed validation, or the JSON is malformed
  "unauthenticated", // 401: no token, bad token, expired or revoked session
  "forbidden", // 403: visible to you, but this action is not allowed to your role
  "not_found", // 404: does not exist, or you may not know that it exists
  "lock_held", // 409: acquire refused, someone (maybe you in another window) holds the lock
  "lock_expired", // 404: heartbeat for a lock that is gone
  "lock_taken", // 409: heartbeat for a lock that someone else now holds
  "lock_not_held", // 409: save with a token that is not the current lock's
  "not_lock_holder", // 403: release of a lock somebody else holds
  "version_conflict", // 409: save based on a version that is no longer current
  "conflict", // 409: e.g. username or member already exists
  "payload_too_large", // 413
  "unsupported_media_type", // 415
  "rate_limited", // 429
  "store_unavailable", // 503 with Retry-After: the lock store (Redis) cannot be reached
  "internal", // 500: nothing more is said
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    /** With lock_held and lock_taken: who holds the lock now. */
    holder: LockHolder.optional(),
    /** With version_conflict: the document's current version. */
    current_version: z.number().int().optional(),
    /** With invalid_input: which fields failed, and why. */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** With every error: the request id to quote when reporting a problem. */
    request_id: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** HTTP status for each error code: one table, used by the server's error middleware. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_lock_holder: 403,
  not_found: 404,
  lock_expired: 404,
  lock_held: 409,
  lock_taken: 409,
  lock_not_held: 409,
  version_conflict: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  store_unavailable: 503,
  internal: 500,
});

/**
 * WebSocket close codes. 1000-1015 are the standard ones; 4000-4999 are ours.
 * An upgrade that fails authentication or origin checks is refused with an HTTP status
 * (401 / 403) before any WebSocket frame, so it has no close code.
 */
export const CloseCode = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  /** Frame or message rate over the limit. */
  policyViolation: 1008,
  /** Frame over maxPayload. */
  messageTooBig: 1009,
  /** The server is shutting down or restarting: reconnect with backoff. */
  serviceRestart: 1012,
  /** The session behind this socket was revoked (logout) or expired: sign in again. */
  sessionRevoked: 4001,
} as const);
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
