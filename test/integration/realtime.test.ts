import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode, LockGrant, MAX_FRAME_BYTES, documentRoom } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import {
  clientId,
  connectSocket,
  startTestServer,
  ticketFor,
  upgradeStatus,
  type TestServer,
} from "../helpers/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("realtime rooms on one server (Redis)", () => {
  let redis: TestRedis;
  let t: TestServer;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer(
      { redisUrl: redis.url, lockTtlMs: 1_000, lockSweepIntervalMs: 100 },
      { hub: { messagesPerSecond: 10, messageBurst: 10 } },
    );
    [alice, bob, carol, dave] = await Promise.all([t.login("alice"), t.login("bob"), t.login("carol"), t.login("dave")]);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const newDoc = () =>
    t.server.data.documents.create({
      scope: "application",
      applicationId: t.demo.applicationId,
      title: "Live",
      createdBy: t.demo.users.alice.id,
    }).id;

  it("two members see lock, update, force-take and unlock in order; a non-member gets an error and nothing else", async () => {
    const id = newDoc();
    const room = documentRoom(id);
    const [aliceWs, carolWs, daveWs] = await Promise.all([connectSocket(t, alice), connectSocket(t, carol), connectSocket(t, dave)]);
    for (const s of [aliceWs, carolWs, daveWs]) s.send({ type: "subscribe", room });
    const snap = await aliceWs.next("subscribed");
    expect(snap).toMatchObject({ room, lock: { locked: false }, version: 1 });
    await carolWs.next("subscribed");
    const refused = await daveWs.next("error");
    expect(refused).toMatchObject({ code: "not_found", room });

    const bobWin = clientId("bob");
    const grant = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: bobWin } })).body);
    await t.call("PUT", `/api/documents/${id}/content`, { token: bob, body: { content: "hello", lock_token: grant.lock_token, base_version: 1 } });
    await t.call("POST", `/api/documents/${id}/lock/force-take`, { token: alice, body: { client_id: clientId("alice") } });
    const aliceLock = (await t.call("GET", `/api/documents/${id}/lock`, { token: alice })).body;
    await t.call("DELETE", `/api/documents/${id}/lock`, { token: alice, body: { client_id: aliceLock.holder.client_id } });

    for (const s of [aliceWs, carolWs]) {
      const locked = await s.next("document_locked");
      expect(locked.holder).toMatchObject({ user_name: "bob", client_id: bobWin });
      expect(locked.holder.is_you).toBeUndefined();
      const updated = await s.next("document_updated");
      expect(updated).toMatchObject({ document_id: id, version: 2, updated_by: t.demo.users.bob.id });
      const taken = await s.next("document_force_taken");
      expect([taken.holder.user_name, taken.previous_holder.user_name]).toEqual(["alice", "bob"]);
      const unlocked = await s.next("document_unlocked");
      expect([unlocked.reason, unlocked.previous_holder.user_name]).toEqual(["released", "alice"]);
      expect(s.messages.map((m) => m.type)).toEqual([
        "subscribed",
        "document_locked",
        "document_updated",
        "document_force_taken",
        "document_unlocked",
      ]);
    }
    await sleep(100);
    expect(daveWs.messages.map((m) => m.type)).toEqual(["error"]);
    // A document that does not exist gets the very same answer.
    daveWs.send({ type: "subscribe", room: documentRoom("00000000-0000-4000-8000-000000000000") });
    const missing = await daveWs.next("error");
    expect([missing.code, missing.message]).toEqual([refused.code, refused.message]);
    for (const s of [aliceWs, carolWs, daveWs]) s.close();
  });

  it("announces an expired lock within 2 s of its TTL", async () => {
    const id = newDoc();
    const ws = await connectSocket(t, carol);
    ws.send({ type: "subscribe", room: documentRoom(id) });
    await ws.next("subscribed");
    const grant = LockGrant.parse((await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId() } })).body);
    const unlocked = await ws.next("document_unlocked", undefined, 5_000);
    const late = Date.now() - Date.parse(grant.expires_at);
    expect(unlocked.reason).toBe("expired");
    expect(late).toBeLessThan(2_000);
    ws.close();
  });

  it("refuses upgrades without a ticket (401), with a reused ticket (401), from a foreign Origin (403)", async () => {
    expect(await upgradeStatus(`${t.url}/ws`)).toBe(401);
    expect(await upgradeStatus(`${t.url}/ws?ticket=not-a-real-ticket-value`)).toBe(401);
    const ticket = await ticketFor(t, bob);
    expect(await upgradeStatus(`${t.url}/ws?ticket=${ticket}`, { origin: "https://evil.example" })).toBe(403);
    const fresh = await ticketFor(t, bob);
    expect(await upgradeStatus(`${t.url}/ws?ticket=${fresh}`, { origin: t.url })).toBe(101);
    expect(await upgradeStatus(`${t.url}/ws?ticket=${fresh}`, { origin: t.url })).toBe(401);
    expect(await upgradeStatus(`${t.url}/ws`, { authorization: `Bearer ${bob}` })).toBe(101);
    expect(await upgradeStatus(`${t.url}/ws`, { authorization: `Bearer ${bob}`, host: "evil.example" })).toBe(403);
  });

  it("answers malformed and unknown frames with an error and keeps the connection", async () => {
    const ws = await connectSocket(t, bob);
    ws.send("not json");
    expect((await ws.next("error")).code).toBe("invalid_input");
    ws.send({ type: "delete_everything" });
    expect((await ws.next("error")).code).toBe("invalid_input");
    ws.send({ type: "subscribe", room: "document:../../etc" });
    expect((await ws.next("error")).code).toBe("invalid_input");
    ws.ws.send(Buffer.from([1, 2, 3]));
    expect((await ws.next("error")).code).toBe("invalid_input");
    ws.send({ type: "subscribe", room: documentRoom(t.demo.documents.handbook as string) });
    expect((await ws.next("subscribed")).room).toBe(documentRoom(t.demo.documents.handbook as string));
    ws.close();
  });

  it("closes a socket that sends a frame over maxPayload with 1009", async () => {
    const ws = await connectSocket(t, bob);
    ws.send("x".repeat(MAX_FRAME_BYTES + 1));
    expect((await ws.closed).code).toBe(CloseCode.messageTooBig);
  });

  it("rate-limits a flood: first an error, then the socket is closed with 1008", async () => {
    const ws = await connectSocket(t, bob);
    const room = documentRoom(t.demo.documents.handbook as string);
    for (let i = 0; i < 100; i++) ws.send({ type: "unsubscribe", room });
    expect((await ws.next("error")).code).toBe("rate_limited");
    expect((await ws.closed).code).toBe(CloseCode.policyViolation);
  });

  it("takes the rooms away when a member is removed, and closes sockets of a logged-out session", async () => {
    const id = newDoc();
    const room = documentRoom(id);
    const carolToken = await t.login("carol");
    const ws = await connectSocket(t, carolToken);
    ws.send({ type: "subscribe", room });
    await ws.next("subscribed");
    const removed = await t.call("DELETE", `/api/applications/${t.demo.applicationId}/members/${t.demo.users.carol.id}`, { token: alice });
    expect(removed.status).toBe(204);
    const gone = await ws.next("unsubscribed");
    expect(gone).toEqual({ type: "unsubscribed", room, reason: "access_revoked" });
    await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId() } });
    await sleep(200);
    expect(ws.messages.some((m) => m.type === "document_locked")).toBe(false);
    ws.send({ type: "subscribe", room });
    expect((await ws.next("error")).code).toBe("not_found");
    // Put carol back for other tests.
    await t.call("PUT", `/api/applications/${t.demo.applicationId}/members`, { token: alice, body: { username: "carol", role: "viewer" } });

    await t.call("POST", "/api/auth/logout", { token: carolToken });
    expect((await ws.closed).code).toBe(CloseCode.sessionRevoked);
  });
});

describe("realtime across two server processes sharing Redis", () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-"));
    const shared = {
      redisUrl: redis.url,
      redisKeyPrefix: "two:",
      databasePath: path.join(dir, "db.sqlite"),
      lockTtlMs: 1_000,
      lockSweepIntervalMs: 100,
    };
    a = await startTestServer(shared);
    b = await startTestServer(shared, {}, { demo: a.demo });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a lock taken through A reaches a subscriber on B, exactly once; expiry is announced once on both", async () => {
    const id = a.demo.documents.launch as string;
    const room = documentRoom(id);
    const [onA, onB] = await Promise.all([connectSocket(a, await a.login("carol")), connectSocket(b, await b.login("alice"))]);
    for (const s of [onA, onB]) s.send({ type: "subscribe", room });
    await onA.next("subscribed");
    await onB.next("subscribed");

    const bob = await a.login("bob");
    const grant = LockGrant.parse((await a.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId() } })).body);
    for (const s of [onA, onB]) expect((await s.next("document_locked")).holder.user_name).toBe("bob");

    const expired = await Promise.all([onA, onB].map((s) => s.next("document_unlocked", undefined, 5_000)));
    for (const e of expired) {
      expect(e.reason).toBe("expired");
      expect(Date.now() - Date.parse(grant.expires_at)).toBeLessThan(2_000 + 500);
    }
    await sleep(500);
    for (const s of [onA, onB]) {
      expect(s.messages.filter((m) => m.type === "document_locked")).toHaveLength(1);
      expect(s.messages.filter((m) => m.type === "document_unlocked")).toHaveLength(1);
    }
    onA.close();
    onB.close();
  });

  it("after a server restart a client reconnects and its snapshot matches the real lock state", async () => {
    const id = a.demo.documents.homepage as string;
    const room = documentRoom(id);
    const bob = await b.login("bob");
    const alice = await b.login("alice");
    const ws = await connectSocket(b, alice);
    ws.send({ type: "subscribe", room });
    await ws.next("subscribed");
    const config = b.server.config;
    const port = b.server.port;
    await b.close();
    expect((await ws.closed).code).toBe(CloseCode.serviceRestart);

    // While B is down, the lock changes through A.
    await a.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId("bob") } });

    b = await startTestServer({ ...config, port }, {}, { demo: a.demo });
    const again = await connectSocket(b, alice);
    again.send({ type: "subscribe", room });
    const snap = await again.next("subscribed");
    expect(snap.lock).toMatchObject({ locked: true, holder: { user_name: "bob", is_you: false } });
    again.close();
  });
});
