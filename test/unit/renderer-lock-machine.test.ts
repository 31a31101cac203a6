import { describe, expect, it } from "vitest";
import { lockBanner, lockNoticeText } from "../../src-renderer/lock/describe.js";
import {
  initialLockState,
  isWritable,
  lockReducer,
  type LockCommand,
  type LockEvent,
  type LockMachineState,
} from "../../src-renderer/lock/machine.js";
import { ALICE, buildForceTake, buildGrant, buildHolder, DOC, DOC2, ME, myHolder } from "./renderer-factories.js";

const AT = "2026-11-27T10:35:00.000Z";
const fmt = (iso: string): string => iso.slice(11, 16);

/** Runs events from a state; returns the last state and every command issued. */
function play(events: LockEvent[], from: LockMachineState = initialLockState) {
  let state = from;
  const commands: LockCommand[] = [];
  for (const e of events) {
    const t = lockReducer(state, e, ME);
    state = t.state;
    commands.push(...t.commands);
  }
  return { state, commands, types: commands.map((c) => c.type) };
}

const open: LockEvent = { type: "open", documentId: DOC, canEdit: true };
const granted: LockEvent = { type: "granted", documentId: DOC, grant: buildGrant() };
const heldState = play([open, granted]).state;
const blockedState = play([open, { type: "refused", documentId: DOC, holder: buildHolder() }]).state;

describe("lock machine: acquiring", () => {
  it("opening an editable document acquires with no click", () => {
    const r = play([open]);
    expect(r.state).toMatchObject({ kind: "acquiring", documentId: DOC, via: "open" });
    expect(r.commands).toEqual([{ type: "acquire", documentId: DOC }]);
    expect(isWritable(r.state)).toBe(false);
  });

  it("a viewer gets a read-only state and no lock attempt", () => {
    const r = play([{ type: "open", documentId: DOC, canEdit: false }]);
    expect(r.state).toEqual({ kind: "readonly", documentId: DOC });
    expect(r.commands).toEqual([]);
  });

  it("a grant makes the editor writable, starts the heartbeat and reloads the content", () => {
    const r = play([open, granted]);
    expect(r.state).toMatchObject({ kind: "held", lock: { token: 7, ttlMs: 45_000 } });
    expect(isWritable(r.state)).toBe(true);
    expect(r.types).toEqual(["acquire", "start_heartbeat", "reload_document"]);
  });

  it("409 lock_held blocks, naming the holder", () => {
    expect(blockedState).toEqual({ kind: "blocked", documentId: DOC, holder: buildHolder(), mine: false });
  });

  it("409 with holder.is_you means me in another window", () => {
    const mine = myHolder({ client_id: "window-A2", is_you: true });
    const r = play([open, { type: "refused", documentId: DOC, holder: mine }]);
    expect(r.state).toMatchObject({ kind: "blocked", mine: true });
  });

  it("403 on acquire falls back to read-only", () => {
    expect(play([open, { type: "forbidden", documentId: DOC }]).state.kind).toBe("readonly");
  });

  it("network failures schedule retries with a growing attempt and one notice", () => {
    const fail: LockEvent = { type: "acquire_failed", documentId: DOC, message: "offline" };
    const r = play([open, fail, { type: "retry", documentId: DOC }, fail]);
    expect(r.state).toMatchObject({ kind: "acquiring", attempt: 2 });
    expect(r.commands.filter((c) => c.type === "schedule_retry")).toEqual([
      { type: "schedule_retry", documentId: DOC, attempt: 0 },
      { type: "schedule_retry", documentId: DOC, attempt: 1 },
    ]);
    expect(r.types.filter((t) => t === "notice")).toHaveLength(1);
    expect(r.types.filter((t) => t === "acquire")).toHaveLength(2);
  });

  it("a 409 that raced with a release we already saw is retried at once", () => {
    const unlocked: LockEvent = {
      type: "remote",
      event: { type: "document_unlocked", document_id: DOC, previous_holder: buildHolder(), reason: "released", at: AT },
    };
    const r = play([open, unlocked, { type: "refused", documentId: DOC, holder: buildHolder() }]);
    expect(r.state).toMatchObject({ kind: "acquiring", freedMeanwhile: false });
    expect(r.types).toEqual(["acquire", "acquire"]);
  });

  it("a grant that arrives after close is released, not kept", () => {
    const r = play([open, { type: "close" }, granted]);
    expect(r.state).toEqual(initialLockState);
    expect(r.commands).toEqual([{ type: "acquire", documentId: DOC }, { type: "release", documentId: DOC }]);
  });

  it("a grant for the previous document after switching is released", () => {
    const r = play([open, { type: "open", documentId: DOC2, canEdit: true }, granted]);
    expect(r.state).toMatchObject({ kind: "acquiring", documentId: DOC2 });
    expect(r.commands.at(-1)).toEqual({ type: "release", documentId: DOC });
  });

  it("ignores events about other documents", () => {
    const r = lockReducer(heldState, { type: "heartbeat_expired", documentId: DOC2, at: AT }, ME);
    expect(r.state).toBe(heldState);
    expect(r.commands).toEqual([]);
  });
});

describe("lock machine: held", () => {
  it("heartbeat answers refresh the expiry", () => {
    const r = lockReducer(heldState, { type: "heartbeat_ok", documentId: DOC, grant: buildGrant({ expires_at: AT }) }, ME);
    expect(r.state).toMatchObject({ kind: "held", lock: { expiresAt: AT } });
    expect(r.commands).toEqual([]);
  });

  it("our own lock / force-take echoes do not disturb the holder", () => {
    for (const type of ["document_locked", "document_force_taken"] as const) {
      const event =
        type === "document_locked"
          ? { type, document_id: DOC, holder: myHolder(), at: AT }
          : { type, document_id: DOC, holder: myHolder(), previous_holder: buildHolder(), at: AT };
      expect(lockReducer(heldState, { type: "remote", event }, ME).state).toBe(heldState);
    }
  });

  const lossCases: Array<[string, LockEvent, object]> = [
    [
      "force-taken by an owner",
      {
        type: "remote",
        event: { type: "document_force_taken", document_id: DOC, holder: buildHolder(), previous_holder: myHolder(), at: AT },
      },
      { reason: "force_taken", holder: buildHolder(), at: AT },
    ],
    ["heartbeat 404", { type: "heartbeat_expired", documentId: DOC, at: AT }, { reason: "expired", holder: null }],
    ["heartbeat 409", { type: "heartbeat_taken", documentId: DOC, holder: buildHolder(), at: AT }, { reason: "taken", holder: buildHolder() }],
    ["save 409 lock_not_held", { type: "save_refused", documentId: DOC, at: AT }, { reason: "save_refused", holder: null }],
    [
      "a snapshot naming someone else",
      { type: "lock_state", documentId: DOC, lock: { locked: true, holder: buildHolder(), expires_at: AT }, at: AT },
      { reason: "resync", holder: buildHolder() },
    ],
    [
      "a snapshot with no lock",
      { type: "lock_state", documentId: DOC, lock: { locked: false, holder: null, expires_at: null }, at: AT },
      { reason: "resync", holder: null },
    ],
    [
      "an expiry broadcast naming this window",
      {
        type: "remote",
        event: { type: "document_unlocked", document_id: DOC, previous_holder: myHolder(), reason: "expired", at: AT },
      },
      { reason: "expired", holder: null },
    ],
  ];

  it.each(lossCases)("%s: read-only at once, heartbeat stopped, draft kept", (_name, event, loss) => {
    const r = lockReducer(heldState, event, ME);
    expect(r.state).toMatchObject({ kind: "lost", documentId: DOC, loss });
    expect(isWritable(r.state)).toBe(false);
    const types = r.commands.map((c) => c.type);
    expect(types.slice(0, 3)).toEqual(["stop_heartbeat", "keep_draft", "reload_document"]);
    // Without a known holder the machine asks who has it (a free lock is then re-acquired).
    expect(types.includes("fetch_lock")).toBe((loss as { holder: unknown }).holder === null);
  });

  it("a snapshot that still shows this window keeps the lock", () => {
    const r = lockReducer(heldState, { type: "lock_state", documentId: DOC, lock: { locked: true, holder: myHolder(), expires_at: AT }, at: AT }, ME);
    expect(r.state).toBe(heldState);
  });

  it("a self-takeover from my other window is a loss that offers 'edit here'", () => {
    const other = myHolder({ client_id: "window-A2" });
    const r = lockReducer(
      heldState,
      { type: "remote", event: { type: "document_force_taken", document_id: DOC, holder: other, previous_holder: myHolder(), at: AT } },
      ME,
    );
    expect(r.state).toMatchObject({ kind: "lost", mine: true });
    expect(lockBanner(r.state, ME, { edit: true, force_take: false, rename: true, delete: true }, undefined, fmt)).toEqual({
      tone: "warning",
      text: "You are now editing this in another window (since 10:35).",
      action: { kind: "edit_here" },
    });
  });

  it("close stops the heartbeat and releases", () => {
    expect(play([{ type: "close" }], heldState).commands).toEqual([
      { type: "stop_heartbeat" },
      { type: "release", documentId: DOC },
    ]);
  });
});

describe("lock machine: waiting", () => {
  const unlockedBy = (holder = buildHolder()): LockEvent => ({
    type: "remote",
    event: { type: "document_unlocked", document_id: DOC, previous_holder: holder, reason: "released", at: AT },
  });

  it("a blocked reader acquires automatically when the lock is released, and is told", () => {
    const r = play([unlockedBy(), granted], blockedState);
    expect(r.state.kind).toBe("held");
    expect(r.commands).toContainEqual({ type: "notice", notice: { kind: "acquired_after_wait", previous: buildHolder() } });
    expect(lockNoticeText({ kind: "acquired_after_wait", previous: buildHolder() }, ME).text).toBe(
      "Bob stopped editing. You are editing now.",
    );
  });

  it("a free snapshot (after a reconnect) also starts an acquire", () => {
    const r = lockReducer(blockedState, { type: "lock_state", documentId: DOC, lock: { locked: false, holder: null, expires_at: null }, at: AT }, ME);
    expect(r.state).toMatchObject({ kind: "acquiring", via: "wait" });
    expect(r.commands).toEqual([{ type: "acquire", documentId: DOC }]);
  });

  it("a new holder while blocked updates the banner", () => {
    const carol = buildHolder({ user_id: "77777777-7777-4777-8777-777777777777", display_name: "Carol", client_id: "window-C1" });
    const r = lockReducer(blockedState, { type: "remote", event: { type: "document_locked", document_id: DOC, holder: carol, at: AT } }, ME);
    expect(r.state).toMatchObject({ kind: "blocked", holder: carol });
  });

  it("a lost window takes the lock back when it frees, recovering with a notice", () => {
    const lost = lockReducer(heldState, { type: "heartbeat_taken", documentId: DOC, holder: buildHolder(), at: AT }, ME).state;
    const r = play([unlockedBy(), granted], lost);
    expect(r.state.kind).toBe("held");
    expect(r.commands).toContainEqual({ type: "notice", notice: { kind: "reacquired_after_loss" } });
  });

  it("a lost window whose re-acquire is refused stays lost, with the new holder", () => {
    const lost = lockReducer(heldState, { type: "heartbeat_expired", documentId: DOC, at: AT }, ME).state;
    const r = play(
      [{ type: "lock_state", documentId: DOC, lock: { locked: false, holder: null, expires_at: null }, at: AT }, { type: "refused", documentId: DOC, holder: buildHolder() }],
      lost,
    );
    expect(r.state).toMatchObject({ kind: "lost", loss: { reason: "expired", holder: buildHolder() } });
  });

  it("take over: force-take, then held with a notice naming who lost it", () => {
    const r = play([{ type: "take_over" }, { type: "taken_over", documentId: DOC, result: buildForceTake() }], blockedState);
    expect(r.types[0]).toBe("force_take");
    expect(r.state.kind).toBe("held");
    expect(r.commands).toContainEqual({ type: "notice", notice: { kind: "took_over", previous: buildHolder() } });
  });

  it("a refused take-over goes back to blocked by the same holder", () => {
    const r = play([{ type: "take_over" }, { type: "take_over_failed", documentId: DOC, message: "Your role does not allow this." }], blockedState);
    expect(r.state).toEqual(blockedState);
    expect(r.types).toEqual(["force_take", "notice"]);
  });

  it("ignores take-over while held or readonly", () => {
    expect(lockReducer(heldState, { type: "take_over" }, ME).commands).toEqual([]);
    expect(lockReducer({ kind: "readonly", documentId: DOC }, { type: "take_over" }, ME).commands).toEqual([]);
  });
});

describe("lock banner wording", () => {
  const perms = (force_take: boolean) => ({ edit: true, force_take, rename: true, delete: false });

  it("names the holder and since when; owners get Take over, editors nothing", () => {
    expect(lockBanner(blockedState, ME, perms(true), undefined, fmt)).toEqual({
      tone: "locked",
      text: "🔒 Bob is editing · since 10:32",
      action: { kind: "take_over", holder: buildHolder() },
    });
    expect(lockBanner(blockedState, ME, perms(false), undefined, fmt)?.action).toBeNull();
  });

  it("same user elsewhere: 'Edit here instead' for anyone who may edit", () => {
    const mine = play([open, { type: "refused", documentId: DOC, holder: myHolder({ client_id: "window-A2", is_you: true }) }]).state;
    expect(lockBanner(mine, ME, perms(false), undefined, fmt)).toEqual({
      tone: "locked",
      text: "You are editing this in another window.",
      action: { kind: "edit_here" },
    });
  });

  it("held is discreet; viewers see who edits from the live lock", () => {
    expect(lockBanner(heldState, ME, perms(false), undefined, fmt)?.text).toBe("You are editing");
    expect(
      lockBanner({ kind: "readonly", documentId: DOC }, ME, { edit: false, force_take: false, rename: false, delete: false }, { locked: true, holder: buildHolder(), expires_at: null }, fmt)?.text,
    ).toBe("Read-only: you can view this document. 🔒 Bob is editing · since 10:32");
  });

  it("a force-taken loss says who took it and when", () => {
    const lost = lockReducer(
      heldState,
      { type: "remote", event: { type: "document_force_taken", document_id: DOC, holder: buildHolder(), previous_holder: myHolder(), at: AT } },
      ME,
    ).state;
    expect(lockBanner(lost, ME, perms(false), undefined, fmt)).toEqual({
      tone: "warning",
      text: "🔒 Bob took over editing at 10:35.",
      action: null,
    });
  });

  it("an expiry with nobody holding offers to try again", () => {
    const lost = lockReducer(heldState, { type: "heartbeat_expired", documentId: DOC, at: AT }, ME).state;
    expect(lockBanner(lost, ME, perms(false), undefined, fmt)?.action).toEqual({ kind: "retry" });
  });

  it("took-over notice for a self-takeover does not name me as someone else", () => {
    expect(lockNoticeText({ kind: "took_over", previous: myHolder({ client_id: "window-A2" }) }, ME).text).toBe(
      "You are editing here now; your other window became read-only.",
    );
    expect(ME.userId).toBe(ALICE);
  });
});
