import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { documentRoom, type Document, type LockHolder } from "../../protocol/index.js";
import { ApiError, NetworkError } from "../../src-renderer/api/errors.js";
import type { HeartbeatDriver } from "../../src-renderer/lock/heartbeat.js";
import type { BeatReport, HeartbeatConfig } from "../../src-renderer/lock/heartbeat-loop.js";
import { createDocumentSession, type SessionApi } from "../../src-renderer/services/document-session.js";
import { createDocumentsStore } from "../../src-renderer/state/documents.js";
import { createDraftsStore, draftKey, memoryStorage } from "../../src-renderer/state/drafts.js";
import { createEditorStore, saveStatus } from "../../src-renderer/state/editor.js";
import { createLocksStore } from "../../src-renderer/state/locks.js";
import { createNoticesStore } from "../../src-renderer/state/notices.js";
import { ALICE, buildDocument, buildHolder, DOC, ME, myHolder } from "./renderer-factories.js";

/**
 * An in-memory stand-in for the server's REST API (the network boundary), with the lock rules
 * of DESIGN.md: acquire is idempotent for the same client, saves are fenced by the token.
 */
class FakeServer implements SessionApi {
  doc: Document = buildDocument({ content: "hello", version: 3 });
  lock: { holder: LockHolder; token: number } | null = null;
  seq = 6;
  calls: string[] = [];
  failAcquire = 0;

  private holderFor(user: string, clientId: string): LockHolder {
    return user === ALICE ? myHolder({ client_id: clientId }) : buildHolder({ client_id: clientId });
  }
  private grant() {
    const l = this.lock as { holder: LockHolder; token: number };
    return { locked: true as const, holder: { ...l.holder, is_you: true }, expires_at: "2026-11-27T10:33:00.000Z", lock_token: l.token, ttl_ms: 45_000 };
  }
  /** Someone else takes the lock (as Bob's window would). */
  bobTakes(): LockHolder {
    this.lock = { holder: this.holderFor("bob", "window-B1"), token: ++this.seq };
    return this.lock.holder;
  }
  bobSaves(content: string): void {
    this.doc = { ...this.doc, content, version: this.doc.version + 1 };
  }

  document = async (_id: string) => {
    this.calls.push("document");
    return { ...this.doc, lock: this.lockState_() };
  };
  acquireLock = async (_id: string, clientId: string) => {
    this.calls.push("acquire");
    if (this.failAcquire > 0) {
      this.failAcquire--;
      throw new NetworkError("offline");
    }
    if (this.lock && this.lock.holder.client_id !== clientId) {
      const holder = { ...this.lock.holder, is_you: this.lock.holder.user_id === ALICE };
      throw new ApiError(409, "lock_held", "held", { holder });
    }
    if (!this.lock) this.lock = { holder: this.holderFor(ALICE, clientId), token: ++this.seq };
    return this.grant();
  };
  releaseLock = async (_id: string, clientId: string) => {
    this.calls.push("release");
    if (this.lock?.holder.client_id === clientId) this.lock = null;
    return { locked: false as const };
  };
  forceTake = async (_id: string, clientId: string) => {
    this.calls.push("force_take");
    const previous = this.lock?.holder ?? null;
    this.lock = { holder: this.holderFor(ALICE, clientId), token: ++this.seq };
    return { ...this.grant(), previous_holder: previous };
  };
  saveContent = async (_id: string, body: { content: string; lock_token: number; base_version: number }) => {
    this.calls.push("save");
    if (this.lock?.token !== body.lock_token) throw new ApiError(409, "lock_not_held", "not held");
    if (body.base_version !== this.doc.version) throw new ApiError(409, "version_conflict", "changed", { currentVersion: this.doc.version });
    this.doc = { ...this.doc, content: body.content, version: this.doc.version + 1 };
    return { version: this.doc.version, updated_at: "2026-11-27T10:40:00.000Z", updated_by: ALICE };
  };
  private lockState_() {
    return this.lock ? { locked: true, holder: this.lock.holder, expires_at: "2026-11-27T10:33:00.000Z" } : { locked: false, holder: null, expires_at: null };
  }
  lockState = async (_id: string) => {
    this.calls.push("lock_state");
    return this.lockState_();
  };
  heartbeatTarget = (id: string) => ({ url: `http://server/api/documents/${id}/lock/heartbeat`, headers: { Authorization: "Bearer t" } });
  unloadReleases: string[] = [];
  releaseLockOnUnload = (_f: unknown, id: string, clientId: string) => void this.unloadReleases.push(`${id}:${clientId}`);
}

/** A heartbeat driver the test drives by hand: what was started, and a way to report a beat. */
function fakeHeartbeat() {
  const state = { running: null as HeartbeatConfig | null, report: (_r: BeatReport) => undefined as void };
  const driver: HeartbeatDriver = {
    start(config, onReport) {
      state.running = config;
      state.report = onReport;
    },
    stop() {
      state.running = null;
    },
    dispose() {},
  };
  return { driver, state };
}

function setup() {
  const server = new FakeServer();
  const storage = memoryStorage();
  const editor = createEditorStore();
  const locks = createLocksStore();
  const drafts = createDraftsStore(storage);
  drafts.getState().loadFor(ALICE);
  const notices = createNoticesStore();
  const documents = createDocumentsStore();
  const rooms: string[] = [];
  const hb = fakeHeartbeat();
  const session = createDocumentSession({
    api: server,
    editor,
    locks,
    drafts,
    notices,
    documents,
    realtime: { retain: (r) => void rooms.push(`+${r}`), release: (r) => void rooms.push(`-${r}`) },
    heartbeat: hb.driver,
    me: () => ME,
    random: () => 0.5,
  });
  const kind = () => locks.getState().machine.kind;
  const noticeTexts = () => notices.getState().notices.map((n) => n.text);
  return { server, storage, editor, locks, drafts, notices, session, rooms, hb, kind, noticeTexts };
}

const AT = "2026-11-27T10:35:00.000Z";
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-27T10:34:00.000Z"));
});
afterEach(() => void vi.useRealTimers());

describe("document session", () => {
  it("opening acquires the lock with no click, subscribes the room and beats every ttl/3", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.rooms).toEqual([`+${documentRoom(DOC)}`]);
    expect(t.hb.state.running).toMatchObject({ lockToken: 7, intervalMs: 15_000, clientId: ME.clientId });
    expect(t.editor.getState().text).toBe("hello");
  });

  it("autosaves after a pause, fenced by the lock token; the live draft goes once saved", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("hello world");
    expect(saveStatus(t.editor.getState())).toBe("dirty");
    await vi.advanceTimersByTimeAsync(300);
    expect(JSON.parse(t.storage.getItem(draftKey(ALICE, DOC)) ?? "null")).toMatchObject({ content: "hello world", baseVersion: 3 });
    await vi.advanceTimersByTimeAsync(500);
    expect(t.server.doc).toMatchObject({ content: "hello world", version: 4 });
    expect(saveStatus(t.editor.getState())).toBe("saved");
    expect(t.storage.getItem(draftKey(ALICE, DOC))).toBeNull();
  });

  it("Ctrl+S saves at once", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("now");
    await t.session.saveNow();
    expect(t.server.doc.content).toBe("now");
  });

  it("force-taken: read-only at once, unsaved text kept as a draft, then recovered when Bob leaves", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("hello, unsaved");
    const bob = t.server.bobTakes();
    t.session.handleMessage({ type: "document_force_taken", document_id: DOC, holder: bob, previous_holder: myHolder(), at: AT });
    expect(t.kind()).toBe("lost");
    expect(t.hb.state.running).toBeNull();
    expect(t.drafts.getState().drafts[DOC]).toMatchObject({ content: "hello, unsaved", baseVersion: 3 });
    await settle();
    expect(t.editor.getState().text).toBe("hello"); // the server's text, shown read-only
    // Typing is refused while lost: nothing reaches the server.
    t.session.textChanged("more");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.server.calls.filter((c) => c === "save")).toEqual([]);
    // Bob leaves without saving: we take the lock back and the draft applies cleanly.
    t.server.lock = null;
    t.session.handleMessage({ type: "document_unlocked", document_id: DOC, previous_holder: bob, reason: "released", at: AT });
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.editor.getState().text).toBe("hello, unsaved");
    expect(t.noticeTexts()).toContain("Your unsaved changes were restored.");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.server.doc.content).toBe("hello, unsaved");
    expect(t.drafts.getState().drafts[DOC]).toBeUndefined();
  });

  it("a draft typed on an older version is offered, not applied; re-apply puts it back", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("mine");
    const bob = t.server.bobTakes();
    t.session.handleMessage({ type: "document_force_taken", document_id: DOC, holder: bob, previous_holder: myHolder(), at: AT });
    t.server.bobSaves("bob's version");
    t.session.handleMessage({ type: "document_updated", document_id: DOC, version: 4, updated_by: bob.user_id, title: "Plan", at: AT });
    await settle();
    expect(t.editor.getState().text).toBe("bob's version"); // a reader follows updates live
    t.server.lock = null;
    t.session.handleMessage({ type: "document_unlocked", document_id: DOC, previous_holder: bob, reason: "released", at: AT });
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.editor.getState().text).toBe("bob's version");
    expect(t.drafts.getState().drafts[DOC]?.content).toBe("mine");
    t.session.reapplyDraft();
    expect(t.editor.getState().text).toBe("mine");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.server.doc).toMatchObject({ content: "mine", version: 5 });
  });

  it("blocked by Bob: waits read-only, acquires automatically when he releases, and says so", async () => {
    const t = setup();
    const bob = t.server.bobTakes();
    await t.session.open(DOC);
    await settle();
    expect(t.locks.getState().machine).toMatchObject({ kind: "blocked", holder: { display_name: "Bob" }, mine: false });
    t.server.lock = null;
    t.session.handleMessage({ type: "document_unlocked", document_id: DOC, previous_holder: bob, reason: "expired", at: AT });
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.noticeTexts()).toContain("Bob stopped editing. You are editing now.");
  });

  it("a viewer is read-only and never asks for the lock", async () => {
    const t = setup();
    t.server.doc = buildDocument({ permissions: { edit: false, force_take: false, rename: false, delete: false } });
    await t.session.open(DOC);
    await settle();
    expect(t.kind()).toBe("readonly");
    expect(t.server.calls).not.toContain("acquire");
  });

  it("save refused (409 lock_not_held) makes the window lost and keeps the text", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.server.bobTakes(); // the server moved on without us hearing an event
    t.session.textChanged("typed after losing");
    await vi.advanceTimersByTimeAsync(800);
    expect(t.locks.getState().machine).toMatchObject({ kind: "lost", loss: { reason: "save_refused" } });
    expect(t.drafts.getState().drafts[DOC]?.content).toBe("typed after losing");
    await settle();
    // fetch_lock told us who has it.
    expect(t.locks.getState().machine).toMatchObject({ kind: "lost", loss: { holder: { display_name: "Bob" } } });
  });

  it("heartbeat 404: lost, then the free lock is taken again", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.server.lock = null;
    t.hb.state.report({ kind: "response", status: 404, body: { error: { code: "lock_expired", message: "gone" } }, retryAfter: null, sentAt: Date.now() });
    expect(t.locks.getState().machine).toMatchObject({ kind: "lost", loss: { reason: "expired" } });
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.noticeTexts()).toContain("You have the edit lock again.");
  });

  it("a save refused under an old lock does not drop the newer lock the window holds by then; it is saved again", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    // The save under the first lock hangs (an outage), and its refusal arrives late.
    const realSave = t.server.saveContent;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let hung = true;
    t.server.saveContent = async (id, body) => {
      if (hung) {
        hung = false;
        await gate;
        throw new ApiError(409, "lock_not_held", "not held");
      }
      return realSave(id, body);
    };
    t.session.textChanged("typed before the outage");
    await vi.advanceTimersByTimeAsync(800);
    // Meanwhile the lock expired and the window took it back (a new token).
    const oldToken = t.server.lock?.token;
    t.server.lock = null;
    t.hb.state.report({ kind: "response", status: 404, body: { error: { code: "lock_expired", message: "gone" } }, retryAfter: null, sentAt: Date.now() });
    await settle();
    expect(t.kind()).toBe("held");
    expect((t.server.lock as { token: number } | null)?.token).not.toBe(oldToken);
    const seen: string[] = [];
    const unsubscribe = t.locks.subscribe((st) => seen.push(st.machine.kind));
    release();
    await vi.advanceTimersByTimeAsync(2_000);
    unsubscribe();
    // Never lost again: the late refusal was about the old token.
    expect(seen).not.toContain("lost");
    expect(t.kind()).toBe("held");
    expect(t.server.doc.content).toBe("typed before the outage");
  });

  it("no heartbeat answer until the TTL has passed counts as expired", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.hb.state.report({ kind: "network_error", message: "offline", sentAt: Date.now() });
    expect(t.kind()).toBe("held");
    vi.setSystemTime(Date.now() + 46_000);
    t.hb.state.report({ kind: "network_error", message: "offline", sentAt: Date.now() });
    expect(t.locks.getState().machine).toMatchObject({ kind: "lost", loss: { reason: "expired" } });
  });

  it("a reconnect snapshot showing someone else turns a holder read-only", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    const bob = t.server.bobTakes();
    t.session.handleMessage({ type: "subscribed", room: documentRoom(DOC), lock: { locked: true, holder: bob, expires_at: AT }, version: 3 });
    expect(t.locks.getState().machine).toMatchObject({ kind: "lost", loss: { reason: "resync", holder: bob } });
  });

  it("the same user in another window: blocked (mine), 'edit here' force-takes", async () => {
    const t = setup();
    t.server.lock = { holder: myHolder({ client_id: "window-A2" }), token: 9 };
    await t.session.open(DOC);
    await settle();
    expect(t.locks.getState().machine).toMatchObject({ kind: "blocked", mine: true });
    t.session.takeOver();
    await settle();
    expect(t.kind()).toBe("held");
    expect(t.server.calls).toContain("force_take");
    expect(t.noticeTexts()).toContain("You are editing here now; your other window became read-only.");
  });

  it("acquire network failures retry with backoff", async () => {
    const t = setup();
    t.server.failAcquire = 2;
    await t.session.open(DOC);
    await settle();
    expect(t.kind()).toBe("acquiring");
    await vi.advanceTimersByTimeAsync(500); // 0.5 * 1000
    await vi.advanceTimersByTimeAsync(1_000); // 0.5 * 2000
    expect(t.kind()).toBe("held");
    expect(t.server.calls.filter((c) => c === "acquire")).toHaveLength(3);
  });

  it("close saves the last keystrokes, then releases the lock and the room", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("last words");
    await t.session.close();
    await settle();
    expect(t.server.doc.content).toBe("last words");
    expect(t.server.calls.slice(-2)).toEqual(["save", "release"]);
    expect(t.server.lock).toBeNull();
    expect(t.rooms.at(-1)).toBe(`-${documentRoom(DOC)}`);
    expect(t.kind()).toBe("idle");
    expect(t.hb.state.running).toBeNull();
  });

  it("unload releases with keepalive and persists unsaved text", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("unsaved at exit");
    t.session.unload(fetch);
    expect(t.server.unloadReleases).toEqual([`${DOC}:${ME.clientId}`]);
    expect(JSON.parse(t.storage.getItem(draftKey(ALICE, DOC)) ?? "null")).toMatchObject({ content: "unsaved at exit" });
    expect(t.hb.state.running).toBeNull();
  });

  it("document deleted while open: closes, keeps the draft, tells the user", async () => {
    const t = setup();
    await t.session.open(DOC);
    await settle();
    t.session.textChanged("orphan text");
    t.session.handleMessage({ type: "document_deleted", document_id: DOC, at: AT });
    expect(t.kind()).toBe("idle");
    expect(t.editor.getState().documentId).toBeNull();
    expect(t.drafts.getState().drafts[DOC]?.content).toBe("orphan text");
    expect(t.noticeTexts()).toContain("This document was deleted.");
  });
});
