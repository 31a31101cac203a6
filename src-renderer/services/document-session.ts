import { documentRoom, type Document, type RoomName, type ServerMessage } from "../../protocol/index.js";
import type { ApiClient } from "../api/client.js";
import { ApiError, describeError, isApiError } from "../api/errors.js";
import type { FetchLike } from "../api/http.js";
import { lockNoticeText } from "../lock/describe.js";
import { interpretBeat, type HeartbeatDriver } from "../lock/heartbeat.js";
import { lockReducer, type HeldLock, type LockCommand, type LockEvent, type Me } from "../lock/machine.js";
import { fullJitterDelay } from "../realtime/backoff.js";
import { realTimers, type Realtime, type Timers } from "../realtime/socket.js";
import type { DocumentsStore } from "../state/documents.js";
import type { DraftsStore } from "../state/drafts.js";
import type { EditorStore } from "../state/editor.js";
import type { LocksStore } from "../state/locks.js";
import type { NoticesStore } from "../state/notices.js";
import { createAutosave, type Autosave, type SaveAttempt } from "./autosave.js";

export type SessionApi = Pick<
  ApiClient,
  "document" | "acquireLock" | "releaseLock" | "forceTake" | "saveContent" | "lockState" | "heartbeatTarget" | "releaseLockOnUnload"
>;

export interface DocumentSessionDeps {
  readonly api: SessionApi;
  readonly editor: EditorStore;
  readonly locks: LocksStore;
  readonly drafts: DraftsStore;
  readonly notices: NoticesStore;
  readonly documents: DocumentsStore;
  readonly realtime: Pick<Realtime, "retain" | "release">;
  readonly heartbeat: HeartbeatDriver;
  /** The signed-in user and this window. */
  me(): Me;
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly autosave?: { debounceMs?: number; maxWaitMs?: number; retryMs?: number };
  /** How long the live draft trails the editor while typing. */
  readonly draftDelayMs?: number;
  /** Longest wait for the last save when closing a document. */
  readonly closeFlushMs?: number;
}

export interface DocumentSession {
  /** Opens a document (closing the current one first) and, if allowed, takes its lock. */
  open(documentId: string): Promise<void>;
  /** Saves what can be saved, keeps the rest as a draft, releases the lock. */
  close(): Promise<void>;
  /** The user typed (only honoured while holding the lock). */
  textChanged(text: string): void;
  /** Ctrl/Cmd+S. */
  saveNow(): Promise<void>;
  /** Owner take-over, or "edit here instead" (the same route). */
  takeOver(): void;
  /** Lost with nobody holding the lock: try to acquire now. */
  retry(): void;
  /** Puts the stored draft into the editor (only while holding the lock). */
  reapplyDraft(): void;
  discardDraft(): void;
  /** A message of the open document's room. */
  handleMessage(message: ServerMessage): void;
  /** The page is going away: release with keepalive, keep the draft. Synchronous. */
  unload(fetchImpl: FetchLike): void;
  /** The page came back (bfcache) or woke up: check that the lock is still ours. */
  resume(): void;
  /** Signed out from elsewhere (401): stop everything locally, keep the draft, release nothing. */
  abandon(): void;
}

const LOCK_RETRY = Object.freeze({ baseMs: 1_000, capMs: 30_000 });

/**
 * Runs the lock lifecycle of the document open in this window: feeds events to the pure
 * reducer (lock/machine.ts) and carries out its commands — REST calls, the heartbeat driver,
 * autosave, drafts. Holds no state of its own beyond timers; everything shown is in stores.
 */
export function createDocumentSession(deps: DocumentSessionDeps): DocumentSession {
  const { api, editor, locks, drafts, notices, documents, realtime, heartbeat } = deps;
  const timers = deps.timers ?? realTimers;
  const random = deps.random ?? Math.random;
  const draftDelayMs = deps.draftDelayMs ?? 300;
  const closeFlushMs = deps.closeFlushMs ?? 5_000;

  let retryTimer: unknown = null;
  let draftTimer: unknown = null;
  /** Bumped on every heartbeat start/stop: a late report of an old lock is ignored. */
  let beatGeneration = 0;
  /** Local time until which the current lock is known to live (last good answer + ttl). */
  let confirmedUntil = 0;
  let room: RoomName | null = null;
  let unloaded = false;
  /** open/close run one after the other, never interleaved. */
  let chain: Promise<void> = Promise.resolve();

  const nowIso = (): string => new Date(timers.now()).toISOString();
  const currentId = (): string | null => editor.getState().documentId;
  const held = (): HeldLock | null => {
    const m = locks.getState().machine;
    return m.kind === "held" ? m.lock : null;
  };

  const autosave: Autosave = createAutosave({
    save,
    isDirty: () => {
      const s = editor.getState();
      return s.documentId !== null && s.text !== s.savedText;
    },
    timers,
    ...deps.autosave,
  });

  function dispatch(event: LockEvent): void {
    const { state, commands } = lockReducer(locks.getState().machine, event, deps.me());
    locks.getState().setMachine(state);
    // What the machine learned also feeds the list's indicator (the broadcast may come later).
    if (state.kind === "held") {
      locks.getState().setLock(state.documentId, { locked: true, holder: state.lock.holder, expires_at: state.lock.expiresAt });
    } else if (state.kind === "blocked") {
      locks.getState().setLock(state.documentId, { locked: true, holder: state.holder, expires_at: null });
    } else if (state.kind === "lost" && state.loss.holder !== null) {
      locks.getState().setLock(state.documentId, { locked: true, holder: state.loss.holder, expires_at: null });
    }
    for (const c of commands) run(c);
  }

  function run(c: LockCommand): void {
    switch (c.type) {
      case "acquire":
        void acquire(c.documentId);
        return;
      case "force_take":
        void forceTake(c.documentId);
        return;
      case "schedule_retry":
        if (retryTimer !== null) timers.clearTimeout(retryTimer);
        retryTimer = timers.setTimeout(() => {
          retryTimer = null;
          dispatch({ type: "retry", documentId: c.documentId });
        }, fullJitterDelay(c.attempt, LOCK_RETRY, random));
        return;
      case "release":
        api.releaseLock(c.documentId, deps.me().clientId).catch(() => undefined); // if lost, expiry frees it
        return;
      case "start_heartbeat":
        startHeartbeat(c.documentId, c.lock);
        return;
      case "stop_heartbeat":
        beatGeneration++;
        heartbeat.stop();
        return;
      case "keep_draft":
        keepDraft(c.documentId);
        return;
      case "reload_document":
        void reload(c.documentId);
        return;
      case "fetch_lock":
        api
          .lockState(c.documentId)
          .then((lock) => dispatch({ type: "lock_state", documentId: c.documentId, lock, at: nowIso() }))
          .catch(() => undefined); // the room's events and the next snapshot will tell
        return;
      case "notice": {
        const n = lockNoticeText(c.notice, deps.me());
        notices.getState().push(n.tone, n.text);
        return;
      }
      default: {
        const _never: never = c;
        return _never;
      }
    }
  }

  async function acquire(documentId: string): Promise<void> {
    try {
      const grant = await api.acquireLock(documentId, deps.me().clientId);
      dispatch({ type: "granted", documentId, grant });
    } catch (e) {
      if (isApiError(e, "lock_held") && e.details.holder) dispatch({ type: "refused", documentId, holder: e.details.holder });
      else if (isApiError(e, "forbidden")) dispatch({ type: "forbidden", documentId });
      else if (isApiError(e, "not_found")) documentGone(documentId, "This document no longer exists or is no longer shared with you.");
      else if (isApiError(e, "unauthenticated")) return;
      else dispatch({ type: "acquire_failed", documentId, message: describeError(e) });
    }
  }

  async function forceTake(documentId: string): Promise<void> {
    try {
      const result = await api.forceTake(documentId, deps.me().clientId);
      dispatch({ type: "taken_over", documentId, result });
    } catch (e) {
      if (isApiError(e, "not_found")) documentGone(documentId, "This document no longer exists or is no longer shared with you.");
      else dispatch({ type: "take_over_failed", documentId, message: describeError(e) });
    }
  }

  function startHeartbeat(documentId: string, lock: HeldLock): void {
    const gen = ++beatGeneration;
    confirmedUntil = timers.now() + lock.ttlMs;
    const target = api.heartbeatTarget(documentId);
    heartbeat.start(
      {
        url: target.url,
        headers: target.headers,
        clientId: deps.me().clientId,
        lockToken: lock.token,
        intervalMs: Math.max(1_000, Math.floor(lock.ttlMs / 3)),
      },
      (report) => {
        if (gen !== beatGeneration) return;
        const outcome = interpretBeat(report);
        switch (outcome.kind) {
          case "ok":
            confirmedUntil = report.sentAt + outcome.grant.ttl_ms;
            dispatch({ type: "heartbeat_ok", documentId, grant: outcome.grant });
            return;
          case "expired":
            dispatch({ type: "heartbeat_expired", documentId, at: nowIso() });
            return;
          case "taken":
            if (outcome.holder) dispatch({ type: "heartbeat_taken", documentId, holder: outcome.holder, at: nowIso() });
            else dispatch({ type: "heartbeat_expired", documentId, at: nowIso() });
            return;
          case "unauthenticated":
            return; // the session layer signs out on the next REST 401
          case "transient":
            // No confirmation past the lock's own TTL: it has expired on the server by now.
            if (timers.now() > confirmedUntil) dispatch({ type: "heartbeat_expired", documentId, at: nowIso() });
            return;
          default: {
            const _never: never = outcome;
            return _never;
          }
        }
      },
    );
  }

  /** Persists the unsaved text now and stops mirroring the editor into it. */
  function keepDraft(documentId: string): void {
    if (draftTimer !== null) timers.clearTimeout(draftTimer);
    draftTimer = null;
    autosave.stop();
    const s = editor.getState();
    if (s.documentId === documentId && s.text !== s.savedText && (s.liveDraft || drafts.getState().drafts[documentId] === undefined)) {
      drafts.getState().put({ documentId, title: s.doc?.title ?? "Untitled", content: s.text, baseVersion: s.baseVersion });
    }
    editor.getState().detachDraft();
  }

  function persistLiveDraft(): void {
    draftTimer = null;
    const s = editor.getState();
    if (s.documentId === null || !s.liveDraft) return;
    if (s.text === s.savedText) drafts.getState().remove(s.documentId);
    else drafts.getState().put({ documentId: s.documentId, title: s.doc?.title ?? "Untitled", content: s.text, baseVersion: s.baseVersion });
  }

  async function reload(documentId: string): Promise<void> {
    let doc: Document;
    try {
      doc = await api.document(documentId);
    } catch (e) {
      if (isApiError(e, "not_found")) documentGone(documentId, "This document no longer exists or is no longer shared with you.");
      return;
    }
    const s = editor.getState();
    if (s.documentId !== documentId) return;
    documents.getState().upsertDocument(summaryOf(doc));
    const typing = held() !== null && s.liveDraft && s.text !== s.savedText;
    if (typing && doc.version === s.baseVersion) {
      // Typed in the moment between the grant and this answer, on the same version: keep it.
      editor.getState().loaded(doc, { replaceText: false });
      return;
    }
    if (typing) keepDraft(documentId);
    editor.getState().loaded(doc, { replaceText: true });
    if (held() !== null) restoreDraftIfClean(doc);
  }

  /**
   * A draft typed on the version that is still current applies without overwriting anyone's
   * work, so it comes back by itself once we hold the lock. Any other draft waits for the user.
   */
  function restoreDraftIfClean(doc: Document): void {
    const draft = drafts.getState().drafts[doc.id];
    if (!draft) return;
    if (draft.content === doc.content) {
      drafts.getState().remove(doc.id);
      return;
    }
    if (draft.baseVersion !== doc.version) return;
    editor.getState().replaceText(draft.content, { liveDraft: true });
    autosave.changed();
    notices.getState().push("info", "Your unsaved changes were restored.");
  }

  async function save(): Promise<SaveAttempt> {
    const lock = held();
    const s = editor.getState();
    const documentId = s.documentId;
    if (lock === null || documentId === null) return "stop";
    if (s.text === s.savedText) return "ok";
    const content = s.text;
    editor.getState().saveStarted();
    try {
      const result = await api.saveContent(documentId, {
        content,
        lock_token: lock.token,
        base_version: s.baseVersion,
        client_id: deps.me().clientId,
      });
      if (currentId() !== documentId) return "ok";
      editor.getState().saveSucceeded(content, result.version, result.updated_at);
      const summary = documents.getState().documents[documentId];
      if (summary && summary.version < result.version) {
        documents.getState().upsertDocument({ ...summary, version: result.version, updated_at: result.updated_at, updated_by: result.updated_by });
      }
      const after = editor.getState();
      if (after.text === after.savedText) {
        if (draftTimer !== null) timers.clearTimeout(draftTimer);
        draftTimer = null;
        drafts.getState().remove(documentId);
      }
      return "ok";
    } catch (e) {
      if (currentId() !== documentId) return "stop";
      editor.getState().saveFailed(describeError(e));
      if (e instanceof ApiError) {
        switch (e.code) {
          case "lock_not_held": {
            // The refusal is about the lock this save carried. If this window holds a newer
            // lock by now (the save was retried through an outage while the lock was lost and
            // taken back), it is old news: save again under the new lock, keep the new lock.
            const now = held();
            if (now !== null && now.token !== lock.token) return "retry";
            dispatch({ type: "save_refused", documentId, at: nowIso() });
            return "stop";
          }
          case "version_conflict":
            // Someone saved a version we never saw. Keep our text, show theirs.
            keepDraft(documentId);
            notices.getState().push("warning", "The document changed on the server. Your text is kept as a draft.");
            void reload(documentId);
            return "stop";
          case "not_found":
            documentGone(documentId, "This document no longer exists or is no longer shared with you.");
            return "stop";
          case "unauthenticated":
          case "forbidden":
          case "payload_too_large":
          case "invalid_input":
            return "stop";
          default:
            return e.transient ? "retry" : "stop";
        }
      }
      return "retry"; // network trouble (or a malformed answer): the draft keeps the text meanwhile
    }
  }

  function documentGone(documentId: string, message: string): void {
    if (currentId() !== documentId) return;
    keepDraft(documentId);
    notices.getState().push("warning", message);
    documents.getState().removeDocument(documentId);
    locks.getState().forget(documentId);
    stopLocally(documentId);
  }

  /** Leaves the document without any call to the server. */
  function stopLocally(documentId: string | null): void {
    autosave.stop();
    if (retryTimer !== null) timers.clearTimeout(retryTimer);
    retryTimer = null;
    beatGeneration++;
    heartbeat.stop();
    locks.getState().setMachine({ kind: "idle" });
    if (room !== null) realtime.release(room);
    room = null;
    if (documentId === null || currentId() === documentId) editor.getState().close();
  }

  async function closeNow(): Promise<void> {
    const documentId = currentId();
    if (documentId === null) return;
    if (held() !== null) {
      // The last keystrokes go to the server while we still hold the lock (bounded wait).
      await Promise.race([autosave.flush(), new Promise<void>((r) => timers.setTimeout(r, closeFlushMs))]);
    }
    keepDraft(documentId);
    if (retryTimer !== null) timers.clearTimeout(retryTimer);
    retryTimer = null;
    dispatch({ type: "close" });
    if (room !== null) realtime.release(room);
    room = null;
    editor.getState().close();
  }

  async function openNow(documentId: string): Promise<void> {
    if (currentId() === documentId) return;
    await closeNow();
    unloaded = false;
    editor.getState().open(documentId);
    room = documentRoom(documentId);
    realtime.retain(room);
    let doc: Document;
    try {
      doc = await api.document(documentId);
    } catch (e) {
      if (currentId() === documentId) editor.getState().loadFailed(describeError(e));
      return;
    }
    if (currentId() !== documentId) return;
    editor.getState().loaded(doc);
    documents.getState().upsertDocument(summaryOf(doc));
    dispatch({ type: "open", documentId, canEdit: doc.permissions.edit });
  }

  const enqueue = (job: () => Promise<void>): Promise<void> => {
    const next = chain.then(job, job);
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    open: (documentId) => enqueue(() => openNow(documentId)),
    close: () => enqueue(closeNow),

    textChanged(text) {
      if (held() === null) return; // read-only: the editor should not have let this through
      if (text === editor.getState().text) return;
      editor.getState().edited(text);
      autosave.changed();
      if (draftTimer === null) draftTimer = timers.setTimeout(persistLiveDraft, draftDelayMs);
    },

    async saveNow() {
      if (held() === null) return;
      await autosave.flush();
    },

    takeOver: () => dispatch({ type: "take_over" }),

    retry() {
      const documentId = currentId();
      if (documentId !== null) run({ type: "fetch_lock", documentId });
    },

    reapplyDraft() {
      const s = editor.getState();
      if (s.documentId === null || held() === null) return;
      const draft = drafts.getState().drafts[s.documentId];
      if (!draft) return;
      editor.getState().replaceText(draft.content, { liveDraft: true });
      autosave.changed();
    },

    discardDraft() {
      const documentId = currentId();
      if (documentId !== null) drafts.getState().remove(documentId);
    },

    handleMessage(message) {
      const documentId = currentId();
      if (documentId === null) return;
      switch (message.type) {
        case "subscribed": {
          if (message.room !== room) return;
          dispatch({ type: "lock_state", documentId, lock: message.lock, at: nowIso() });
          // Missed updates while disconnected: a reader refetches (a holder is the only writer).
          if (held() === null && message.version > editor.getState().baseVersion) void reload(documentId);
          return;
        }
        case "document_locked":
        case "document_unlocked":
        case "document_force_taken":
          if (message.document_id === documentId) dispatch({ type: "remote", event: message });
          return;
        case "document_updated":
          if (message.document_id !== documentId) return;
          editor.getState().setTitle(message.title);
          // The holder's own saves come back here too; only readers follow the content.
          if (held() === null && message.version > editor.getState().baseVersion) void reload(documentId);
          return;
        case "document_deleted":
          if (message.document_id === documentId) documentGone(documentId, "This document was deleted.");
          return;
        case "unsubscribed":
          if (message.room === room && message.reason === "access_revoked") {
            documentGone(documentId, "You no longer have access to this document.");
          }
          return;
        case "error":
          if (message.room === room && (message.code === "forbidden" || message.code === "not_found")) {
            documentGone(documentId, "You no longer have access to this document.");
          }
          return;
        default: {
          const _never: never = message;
          return _never;
        }
      }
    },

    unload(fetchImpl) {
      const s = editor.getState();
      if (s.documentId === null || unloaded) return;
      unloaded = true;
      if (s.text !== s.savedText) {
        drafts.getState().put({ documentId: s.documentId, title: s.doc?.title ?? "Untitled", content: s.text, baseVersion: s.baseVersion });
      }
      if (held() !== null) {
        beatGeneration++;
        heartbeat.stop();
        api.releaseLockOnUnload(fetchImpl, s.documentId, deps.me().clientId);
      }
    },

    resume() {
      const documentId = currentId();
      if (documentId === null) return;
      // After a pagehide that did not unload (bfcache), the lock was released: the answer
      // makes a "held" window lost, and a free lock is then taken again.
      unloaded = false;
      run({ type: "fetch_lock", documentId });
    },

    abandon() {
      const documentId = currentId();
      if (documentId !== null) {
        const s = editor.getState();
        if (s.text !== s.savedText) keepDraft(documentId);
      }
      stopLocally(null);
    },
  };
}

function summaryOf(doc: Document) {
  const { content: _content, ...summary } = doc;
  return summary;
}
