import type {
  DocumentForceTakenEvent,
  DocumentLockedEvent,
  DocumentUnlockedEvent,
  ForceTakeResult,
  LockGrant,
  LockHolder,
  LockState,
} from "../../protocol/index.js";
import type { z } from "zod";

/**
 * The edit-lock lifecycle of the document open in this window, as a pure reducer:
 * `(state, event, me) -> { state, commands }`. It performs no I/O and reads no clock; the
 * DocumentSession service carries out the commands (REST calls, heartbeat, drafts) and feeds
 * their outcomes back as events. Every transition is therefore unit-testable.
 *
 *   idle ─open─> acquiring ─granted─> held ─(taken | expired | save refused | resync)─> lost
 *      │              └──refused──> blocked ─(lock freed)─> acquiring            │
 *      └─open (viewer)─> readonly          lost ─(lock freed)─> acquiring <─────┘
 *
 * Invariants:
 * - Only `held` is writable, and only `held` runs a heartbeat: leaving `held` always stops it.
 * - Leaving `held` for any reason other than close keeps the unsaved text as a draft.
 * - A grant that arrives when it is no longer wanted (closed, other document) is released.
 */

/** Who "I" am: the user and this window. */
export interface Me {
  readonly userId: string;
  readonly clientId: string;
}

export type LostReason =
  /** An owner (or I, from another window) took the lock over. */
  | "force_taken"
  /** Someone else holds it now (heartbeat 409, or a `document_locked` naming them). */
  | "taken"
  /** It expired (heartbeat 404, unlock event naming me, or no answer before expiry). */
  | "expired"
  /** A save was refused with `lock_not_held`. */
  | "save_refused"
  /** A `subscribed` snapshot after a reconnect showed someone else or no lock. */
  | "resync";

export interface LossInfo {
  readonly reason: LostReason;
  /** Who holds the lock now, when known. */
  readonly holder: LockHolder | null;
  /** When it happened (server time when the server said so, else local). */
  readonly at: string;
}

export interface HeldLock {
  readonly token: number;
  readonly ttlMs: number;
  readonly expiresAt: string;
  readonly holder: LockHolder;
}

export type LockMachineState =
  | { readonly kind: "idle" }
  /** A viewer: no lock attempt at all. */
  | { readonly kind: "readonly"; readonly documentId: string }
  | {
      readonly kind: "acquiring";
      readonly documentId: string;
      /** `open`: first try; `wait`: the lock freed up while we waited; `force`: take over. */
      readonly via: "open" | "wait" | "force";
      /** Failed tries of this acquire (network / 503), for backoff. */
      readonly attempt: number;
      /** The lock was seen free while the request was in flight: a 409 is stale, retry. */
      readonly freedMeanwhile: boolean;
      /** Who held it before (blocked / force): named in notices and restored on refusal. */
      readonly previous: LockHolder | null;
      /** Set while recovering a lost lock, so the UI can keep saying what happened. */
      readonly loss: LossInfo | null;
    }
  | { readonly kind: "held"; readonly documentId: string; readonly lock: HeldLock }
  | {
      readonly kind: "blocked";
      readonly documentId: string;
      readonly holder: LockHolder;
      /** The holder is me, in another window or device. */
      readonly mine: boolean;
    }
  | {
      readonly kind: "lost";
      readonly documentId: string;
      readonly loss: LossInfo;
      /** The current holder is me, in another window or device. */
      readonly mine: boolean;
    };

export type LockStateKind = LockMachineState["kind"];

/** A short message to show once, in the aria-live notice area. */
export type LockNotice =
  | { readonly kind: "acquired_after_wait"; readonly previous: LockHolder | null }
  | { readonly kind: "reacquired_after_loss" }
  | { readonly kind: "took_over"; readonly previous: LockHolder | null }
  | { readonly kind: "take_over_failed"; readonly message: string }
  | { readonly kind: "acquire_failed"; readonly message: string };

export type LockCommand =
  | { readonly type: "acquire"; readonly documentId: string }
  | { readonly type: "force_take"; readonly documentId: string }
  /** Schedule a `retry` event after a backoff for this attempt number. */
  | { readonly type: "schedule_retry"; readonly documentId: string; readonly attempt: number }
  | { readonly type: "release"; readonly documentId: string }
  | { readonly type: "start_heartbeat"; readonly documentId: string; readonly lock: HeldLock }
  | { readonly type: "stop_heartbeat" }
  /** Persist the unsaved text as a draft now and detach it from the editor. */
  | { readonly type: "keep_draft"; readonly documentId: string }
  /** Refetch the document's content (after a grant: it may be newer than what we show). */
  | { readonly type: "reload_document"; readonly documentId: string }
  /** Ask the server who holds the lock (GET .../lock), answered with a `lock_state` event. */
  | { readonly type: "fetch_lock"; readonly documentId: string }
  | { readonly type: "notice"; readonly notice: LockNotice };

type Remote =
  | z.infer<typeof DocumentLockedEvent>
  | z.infer<typeof DocumentUnlockedEvent>
  | z.infer<typeof DocumentForceTakenEvent>;

export type LockEvent =
  | { readonly type: "open"; readonly documentId: string; readonly canEdit: boolean }
  | { readonly type: "close" }
  | { readonly type: "granted"; readonly documentId: string; readonly grant: LockGrant }
  | { readonly type: "refused"; readonly documentId: string; readonly holder: LockHolder }
  /** 403 on acquire: the role changed to viewer. */
  | { readonly type: "forbidden"; readonly documentId: string }
  /** Network trouble or 503 after the client's own retries. */
  | { readonly type: "acquire_failed"; readonly documentId: string; readonly message: string }
  | { readonly type: "retry"; readonly documentId: string }
  /** The user asked to take over (owner) or to edit here instead (self-takeover). */
  | { readonly type: "take_over" }
  | { readonly type: "taken_over"; readonly documentId: string; readonly result: ForceTakeResult }
  | { readonly type: "take_over_failed"; readonly documentId: string; readonly message: string }
  | { readonly type: "heartbeat_ok"; readonly documentId: string; readonly grant: LockGrant }
  | { readonly type: "heartbeat_expired"; readonly documentId: string; readonly at: string }
  | { readonly type: "heartbeat_taken"; readonly documentId: string; readonly holder: LockHolder; readonly at: string }
  | { readonly type: "save_refused"; readonly documentId: string; readonly at: string }
  /** A `subscribed` snapshot or a GET .../lock answer. */
  | { readonly type: "lock_state"; readonly documentId: string; readonly lock: LockState; readonly at: string }
  | { readonly type: "remote"; readonly event: Remote };

export interface Transition {
  readonly state: LockMachineState;
  readonly commands: readonly LockCommand[];
}

export const initialLockState: LockMachineState = Object.freeze({ kind: "idle" });

const isThisWindow = (holder: LockHolder | null | undefined, me: Me): boolean =>
  holder != null && holder.client_id === me.clientId;

/** The holder is my user in another window (REST says `is_you`; broadcasts need the id). */
export const isMineElsewhere = (holder: LockHolder | null | undefined, me: Me): boolean =>
  holder != null && holder.client_id !== me.clientId && (holder.is_you === true || holder.user_id === me.userId);

const heldFrom = (grant: LockGrant): HeldLock => ({
  token: grant.lock_token,
  ttlMs: grant.ttl_ms,
  expiresAt: grant.expires_at,
  holder: grant.holder,
});

const documentIdOf = (s: LockMachineState): string | null => (s.kind === "idle" ? null : s.documentId);

const eventDocumentId = (e: LockEvent): string | null => {
  switch (e.type) {
    case "open":
    case "close":
    case "take_over":
      return null;
    case "remote":
      return e.event.document_id;
    default:
      return e.documentId;
  }
};

const stay = (state: LockMachineState): Transition => ({ state, commands: [] });

function acquiring(
  documentId: string,
  via: "open" | "wait" | "force",
  previous: LockHolder | null,
  loss: LossInfo | null,
): Transition {
  return {
    state: { kind: "acquiring", documentId, via, attempt: 0, freedMeanwhile: false, previous, loss },
    commands: [via === "force" ? { type: "force_take", documentId } : { type: "acquire", documentId }],
  };
}

function lose(documentId: string, loss: LossInfo, me: Me): Transition {
  return {
    state: { kind: "lost", documentId, loss, mine: isMineElsewhere(loss.holder, me) },
    commands: [
      { type: "stop_heartbeat" },
      { type: "keep_draft", documentId },
      { type: "reload_document", documentId },
      // Without a known holder, ask: a free lock is then taken back automatically.
      ...(loss.holder === null ? [{ type: "fetch_lock", documentId } as const] : []),
    ],
  };
}

function granted(documentId: string, grant: LockGrant, notice: LockNotice | null): Transition {
  const lock = heldFrom(grant);
  return {
    state: { kind: "held", documentId, lock },
    commands: [
      { type: "start_heartbeat", documentId, lock },
      { type: "reload_document", documentId },
      ...(notice ? [{ type: "notice", notice } as const] : []),
    ],
  };
}

/** A waiting window (blocked or lost) learns who holds the lock now, or that it is free. */
function waitingSees(
  state: Extract<LockMachineState, { kind: "blocked" | "lost" }>,
  holder: LockHolder | null,
  me: Me,
): Transition {
  const { documentId } = state;
  const previous = state.kind === "blocked" ? state.holder : state.loss.holder;
  const loss = state.kind === "lost" ? state.loss : null;
  // Free, or "held by this very window" (a grant we never heard back about): acquire.
  // Acquire is idempotent for the same user and client, so the second case just gets the token.
  if (holder === null || isThisWindow(holder, me)) return acquiring(documentId, "wait", previous, loss);
  if (state.kind === "blocked") return stay({ ...state, holder, mine: isMineElsewhere(holder, me) });
  return stay({ ...state, loss: { ...state.loss, holder }, mine: isMineElsewhere(holder, me) });
}

/** Pure: the next state and the commands to carry out. Never throws. */
export function lockReducer(state: LockMachineState, event: LockEvent, me: Me): Transition {
  if (event.type === "open") {
    const closed = state.kind === "idle" ? { commands: [] as LockCommand[] } : lockReducer(state, { type: "close" }, me);
    const next: Transition = event.canEdit
      ? acquiring(event.documentId, "open", null, null)
      : stay({ kind: "readonly", documentId: event.documentId });
    return { state: next.state, commands: [...closed.commands, ...next.commands] };
  }

  if (event.type === "close") {
    if (state.kind === "held") {
      return { state: initialLockState, commands: [{ type: "stop_heartbeat" }, { type: "release", documentId: state.documentId }] };
    }
    return stay(initialLockState);
  }

  const current = documentIdOf(state);
  const target = eventDocumentId(event);

  // A grant for a document we no longer want (closed, or switched while in flight): give it back.
  if ((event.type === "granted" || event.type === "taken_over") && event.documentId !== current) {
    return { state, commands: [{ type: "release", documentId: event.documentId }] };
  }
  if (target !== null && target !== current) return stay(state);

  switch (state.kind) {
    case "idle":
    case "readonly":
      return stay(state);

    case "acquiring":
      switch (event.type) {
        case "granted":
          return granted(
            state.documentId,
            event.grant,
            state.loss !== null
              ? { kind: "reacquired_after_loss" }
              : state.via === "wait"
                ? { kind: "acquired_after_wait", previous: state.previous }
                : null,
          );
        case "taken_over":
          return granted(state.documentId, event.result, { kind: "took_over", previous: event.result.previous_holder });
        case "refused": {
          if (state.freedMeanwhile) {
            // The 409 predates a release we already saw: ask again (once per release seen).
            return {
              state: { ...state, freedMeanwhile: false },
              commands: [{ type: "acquire", documentId: state.documentId }],
            };
          }
          if (state.loss !== null) {
            return stay({
              kind: "lost",
              documentId: state.documentId,
              loss: { ...state.loss, holder: event.holder },
              mine: isMineElsewhere(event.holder, me),
            });
          }
          return stay({ kind: "blocked", documentId: state.documentId, holder: event.holder, mine: isMineElsewhere(event.holder, me) });
        }
        case "forbidden":
          return stay({ kind: "readonly", documentId: state.documentId });
        case "acquire_failed":
          return {
            state: { ...state, attempt: state.attempt + 1 },
            commands: [
              { type: "schedule_retry", documentId: state.documentId, attempt: state.attempt },
              ...(state.attempt === 0 ? [{ type: "notice", notice: { kind: "acquire_failed", message: event.message } } as const] : []),
            ],
          };
        case "take_over_failed": {
          const back: LockMachineState =
            state.previous !== null
              ? { kind: "blocked", documentId: state.documentId, holder: state.previous, mine: isMineElsewhere(state.previous, me) }
              : { ...state, via: "open" };
          return {
            state: back,
            commands: [
              { type: "notice", notice: { kind: "take_over_failed", message: event.message } },
              ...(back.kind === "acquiring" ? [{ type: "acquire", documentId: state.documentId } as const] : []),
            ],
          };
        }
        case "retry":
          return { state, commands: [{ type: state.via === "force" ? "force_take" : "acquire", documentId: state.documentId }] };
        case "lock_state":
          return event.lock.holder === null ? stay({ ...state, freedMeanwhile: true }) : stay(state);
        case "remote":
          return event.event.type === "document_unlocked" ? stay({ ...state, freedMeanwhile: true }) : stay(state);
        default:
          return stay(state);
      }

    case "held": {
      const { documentId } = state;
      switch (event.type) {
        case "heartbeat_ok":
          return stay({ ...state, lock: { ...state.lock, ...heldFrom(event.grant) } });
        case "heartbeat_expired":
          return lose(documentId, { reason: "expired", holder: null, at: event.at }, me);
        case "heartbeat_taken":
          return lose(documentId, { reason: "taken", holder: event.holder, at: event.at }, me);
        case "save_refused":
          return lose(documentId, { reason: "save_refused", holder: null, at: event.at }, me);
        case "lock_state": {
          const holder = event.lock.holder;
          if (isThisWindow(holder, me)) return stay(state);
          return lose(documentId, { reason: "resync", holder, at: event.at }, me);
        }
        case "remote": {
          const ev = event.event;
          if (ev.type === "document_unlocked") {
            // Only our own lock can be unlocked while we hold it: it expired on the server.
            return isThisWindow(ev.previous_holder, me)
              ? lose(documentId, { reason: "expired", holder: null, at: ev.at }, me)
              : stay(state);
          }
          if (isThisWindow(ev.holder, me)) return stay(state); // the echo of our own acquire / take-over
          return lose(
            documentId,
            { reason: ev.type === "document_force_taken" ? "force_taken" : "taken", holder: ev.holder, at: ev.at },
            me,
          );
        }
        default:
          return stay(state);
      }
    }

    case "blocked":
    case "lost":
      switch (event.type) {
        case "take_over": {
          const previous = state.kind === "blocked" ? state.holder : state.loss.holder;
          return acquiring(state.documentId, "force", previous, null);
        }
        case "lock_state":
          return waitingSees(state, event.lock.holder, me);
        case "remote": {
          const ev = event.event;
          return waitingSees(state, ev.type === "document_unlocked" ? null : ev.holder, me);
        }
        default:
          return stay(state);
      }

    default: {
      const _never: never = state;
      return _never;
    }
  }
}

/** Whether the editor may be written to: only while this window holds the lock. */
export const isWritable = (s: LockMachineState): boolean => s.kind === "held";
