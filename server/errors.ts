import type { ErrorCode } from "../protocol/index.js";
import type { LockRecord } from "./locks/types.js";

/**
 * Errors that carry data. Each has a stable protocol code; the HTTP error middleware
 * (server/http/errors.ts) and the WebSocket hub are the only places that turn them into
 * responses. Anything that is not an AppError becomes a plain 500 with no internals.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields for the `error` object of the response (already in wire shape). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, issues: { path: string; message: string }[] = []) {
    super("invalid_input", message, issues.length > 0 ? { issues } : {});
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "Sign in first: the bearer token is missing, invalid or expired.") {
    super("unauthenticated", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "Your role does not allow this.") {
    super("forbidden", message);
  }
}

/** Also what a non-member gets for a document that exists: never reveal existence. */
export class NotFoundError extends AppError {
  constructor(what = "Document") {
    super("not_found", `${what} not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** Errors about a lock held by somebody: they carry the holder, rendered per viewer. */
export abstract class LockHolderError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly holder: LockRecord,
  ) {
    super(code, message);
  }
}

/** Acquire refused: someone else (maybe the same user in another window) holds the lock. */
export class LockHeldError extends LockHolderError {
  constructor(holder: LockRecord) {
    super("lock_held", `${holder.displayName} is editing this document.`, holder);
  }
}

/** Heartbeat for a lock that someone else holds now. */
export class LockTakenError extends LockHolderError {
  constructor(holder: LockRecord) {
    super("lock_taken", `The lock was taken by ${holder.displayName}.`, holder);
  }
}

/** Release of a lock that somebody else holds. */
export class NotLockHolderError extends LockHolderError {
  constructor(holder: LockRecord) {
    super("not_lock_holder", "You do not hold this lock.", holder);
  }
}

/** Heartbeat for a lock that no longer exists. */
export class LockExpiredError extends AppError {
  constructor() {
    super("lock_expired", "The lock expired. Acquire it again.");
  }
}

/** Save with a token that is not the current lock's (the lock expired or was taken). */
export class LockNotHeldError extends AppError {
  constructor() {
    super("lock_not_held", "You no longer hold the lock for this document; the save was refused.");
  }
}

export class VersionConflictError extends AppError {
  constructor(currentVersion: number) {
    super("version_conflict", "The document changed since the version this save is based on.", {
      current_version: currentVersion,
    });
  }
}

/** The lock store (Redis) could not be reached or did not answer in time. */
export class StoreUnavailableError extends AppError {
  constructor(
    message = "The lock store is unavailable. Try again in a moment.",
    readonly retryAfterSeconds = 2,
    options?: { cause?: unknown },
  ) {
    super("store_unavailable", message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
