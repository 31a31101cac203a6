import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, ForceTakeResult, LockGrant, LockState } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, startTestServer, type TestServer } from "../helpers/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("lock lifecycle over HTTP (Redis store)", () => {
  let redis: TestRedis;
  let t: TestServer;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, lockTtlMs: 1_000, lockSweepIntervalMs: 100 });
    [alice, bob, carol] = await Promise.all([t.login("alice"), t.login("bob"), t.login("carol")]);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const newDoc = (scope: "application" | "personal" = "application") =>
    t.server.data.documents.create(
      scope === "personal"
        ? { scope, ownerUserId: t.demo.users.bob.id, title: "Notes", createdBy: t.demo.users.bob.id }
        : { scope, applicationId: t.demo.applicationId, title: "Doc", createdBy: t.demo.users.alice.id },
    ).id;

  it("acquire, conflict with holder, heartbeat, release", async () => {
    const id = newDoc();
    const bobWin = clientId("bob");
    const acquired = await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } });
    expect(acquired.status).toBe(200);
    const grant = LockGrant.parse(acquired.body);
    expect(grant.holder).toMatchObject({ user_name: "bob", client_id: bobWin, is_you: true });
    expect(grant.ttl_ms).toBe(1_000);

    // Same user, same client: idempotent, same token.
    const again = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).body);
    expect(again.lock_token).toBe(grant.lock_token);

    // Someone else: 409 with the holder, never the token.
    const conflict = await t.call("POST", `/api/documents/${id}/lock`, { token: alice, body: { client_id: clientId() } });
    expect(conflict.status).toBe(409);
    const err = ErrorBody.parse(conflict.body);
    expect(err.error.code).toBe("lock_held");
    expect(err.error.holder).toMatchObject({ user_name: "bob", display_name: "Bob Chen", is_you: false });
    expect(JSON.stringify(conflict.body)).not.toContain(`"lock_token"`);

    // The state, as carol (viewer) sees it.
    const state = LockState.parse((await t.call("GET", `/api/documents/${id}/lock`, { token: carol })).body);
    expect(state).toMatchObject({ locked: true, holder: { user_name: "bob", is_you: false } });

    const hb = await t.call("POST", `/api/documents/${id}/lock/heartbeat`, {
      token: bob,
      body: { client_id: bobWin, lock_token: grant.lock_token },
    });
    expect(hb.status).toBe(200);
    expect(Date.parse(LockGrant.parse(hb.body).expires_at)).toBeGreaterThanOrEqual(Date.parse(grant.expires_at));

    // Alice cannot release bob's lock; bob can; releasing again is fine.
    const foreign = await t.call("DELETE", `/api/documents/${id}/lock`, { token: alice, body: { client_id: clientId() } });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, "not_lock_holder"]);
    expect((await t.call("DELETE", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).body).toEqual({ locked: false });
    expect((await t.call("DELETE", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).status).toBe(200);
    expect((await t.call("GET", `/api/documents/${id}/lock`, { token: bob })).body).toEqual({ locked: false, holder: null, expires_at: null });
  });

  it("a lock left alone expires: heartbeat then answers 404 lock_expired, and someone else can take it", async () => {
    const id = newDoc();
    const win = clientId();
    const grant = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: win } })).body);
    await sleep(1_300);
    const hb = await t.call("POST", `/api/documents/${id}/lock/heartbeat`, { token: bob, body: { client_id: win, lock_token: grant.lock_token } });
    expect([hb.status, hb.body.error.code]).toEqual([404, "lock_expired"]);
    const taken = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: alice, body: { client_id: clientId() } })).body);
    expect(taken.lock_token).toBeGreaterThan(grant.lock_token);
    const late = await t.call("POST", `/api/documents/${id}/lock/heartbeat`, { token: bob, body: { client_id: win, lock_token: grant.lock_token } });
    expect([late.status, late.body.error.code, late.body.error.holder.user_name]).toEqual([409, "lock_taken", "alice"]);
  });

  it("owner takes over; editor may not take from others; stale saves are refused", async () => {
    const id = newDoc();
    const bobWin = clientId("bob");
    const bobGrant = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).body);
    const saved = await t.call("PUT", `/api/documents/${id}/content`, {
      token: bob,
      body: { content: "bob 1", lock_token: bobGrant.lock_token, base_version: 1 },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);

    // Alice (owner) takes over.
    const taken = await t.call("POST", `/api/documents/${id}/lock/force-take`, { token: alice, body: { client_id: clientId("alice") } });
    expect(taken.status).toBe(200);
    const result = ForceTakeResult.parse(taken.body);
    expect(result.previous_holder).toMatchObject({ user_name: "bob", client_id: bobWin, is_you: false });
    expect(result.lock_token).toBeGreaterThan(bobGrant.lock_token);

    // Bob's stale save and heartbeat are refused; his release does not touch alice's lock.
    const stale = await t.call("PUT", `/api/documents/${id}/content`, {
      token: bob,
      body: { content: "bob 2", lock_token: bobGrant.lock_token, base_version: 2 },
    });
    expect([stale.status, stale.body.error.code]).toEqual([409, "lock_not_held"]);
    const hb = await t.call("POST", `/api/documents/${id}/lock/heartbeat`, { token: bob, body: { client_id: bobWin, lock_token: bobGrant.lock_token } });
    expect([hb.status, hb.body.error.code]).toEqual([409, "lock_taken"]);
    expect((await t.call("DELETE", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).status).toBe(403);

    // Alice saves on top; a save on an old base version is a version conflict.
    const aliceSave = await t.call("PUT", `/api/documents/${id}/content`, {
      token: alice,
      body: { content: "alice", lock_token: result.lock_token, base_version: 2 },
    });
    expect(aliceSave.status).toBe(200);
    const conflict = await t.call("PUT", `/api/documents/${id}/content`, {
      token: alice,
      body: { content: "again", lock_token: result.lock_token, base_version: 2 },
    });
    expect([conflict.status, conflict.body.error.code, conflict.body.error.current_version]).toEqual([409, "version_conflict", 3]);
    const doc = await t.call("GET", `/api/documents/${id}`, { token: carol });
    expect([doc.body.content, doc.body.version]).toEqual(["alice", 3]);

    // Bob (editor) cannot take it back from alice.
    const editorTake = await t.call("POST", `/api/documents/${id}/lock/force-take`, { token: bob, body: { client_id: bobWin } });
    expect([editorTake.status, editorTake.body.error.code]).toEqual([403, "forbidden"]);
    expect(LockState.parse((await t.call("GET", `/api/documents/${id}/lock`, { token: bob })).body).holder?.user_name).toBe("alice");
  });

  for (const scope of ["application", "personal"] as const) {
    it(`self-takeover from a second window (${scope} document)`, async () => {
      const id = newDoc(scope);
      const first = clientId("first");
      const second = clientId("second");
      const grant = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: first } })).body);
      const conflict = await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: second } });
      expect([conflict.status, conflict.body.error.holder.is_you, conflict.body.error.holder.client_id]).toEqual([409, true, first]);
      const taken = ForceTakeResult.parse(
        (await t.call("POST", `/api/documents/${id}/lock/force-take`, { token: bob, body: { client_id: second } })).body,
      );
      expect(taken.previous_holder).toMatchObject({ client_id: first, is_you: true });
      const stale = await t.call("PUT", `/api/documents/${id}/content`, {
        token: bob,
        body: { content: "from the first window", lock_token: grant.lock_token, base_version: 1 },
      });
      expect(stale.status).toBe(409);
      if (scope === "personal") {
        // Nobody else can even see it, let alone take it.
        const aliceTake = await t.call("POST", `/api/documents/${id}/lock/force-take`, { token: alice, body: { client_id: clientId() } });
        expect(aliceTake.status).toBe(404);
      }
    });
  }

  it("lists documents with their lock state and my permissions", async () => {
    const id = newDoc();
    await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId() } });
    const list = await t.call("GET", "/api/documents", { token: carol });
    expect(list.status).toBe(200);
    const entry = list.body.documents.find((d: { id: string }) => d.id === id);
    expect(entry.lock.holder.user_name).toBe("bob");
    expect(entry.permissions).toEqual({ edit: false, force_take: false, rename: false, delete: false });
    // carol sees no personal documents of others.
    expect(list.body.documents.some((d: { scope: string }) => d.scope === "personal")).toBe(false);
  });
});
