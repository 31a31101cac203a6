import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode, LockState, documentRoom } from "../../protocol/index.js";
import type { NewDocument } from "../../server/store/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, connectSocket, startTestServer, ticketFor, upgradeStatus, type TestServer } from "../helpers/server.js";
import { api } from "./helpers/api.js";
import { figure, median, sleep, soak } from "./helpers/report.js";

type Actor = "alice" | "bob" | "carol" | "dave";
type Scope = "personal" | "application" | "project";
const ACTORS: Actor[] = ["alice", "bob", "carol", "dave"];
const SCOPES: Scope[] = ["personal", "application", "project"];
const MISSING = "00000000-0000-4000-8000-000000000000";

/** The design's table for joins: a personal document (bob's) is visible to bob only; others to members. */
const visible = (actor: Actor, scope: Scope): boolean => (scope === "personal" ? actor === "bob" : actor !== "dave");

describe("authorisation matrix for WebSocket joins", () => {
  let redis: TestRedis;
  let t: TestServer;
  const tokens = new Map<Actor, string>();

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, lockTtlMs: 600_000 });
    for (const actor of ACTORS) tokens.set(actor, await t.login(actor));
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const place = (scope: Scope): NewDocument & { createdBy: string } => {
    const { users, applicationId, projectId } = t.demo;
    if (scope === "personal") return { scope, ownerUserId: users.bob.id, createdBy: users.bob.id };
    if (scope === "application") return { scope, applicationId, createdBy: users.alice.id };
    return { scope, applicationId, projectId, createdBy: users.alice.id };
  };

  it("every scope x alice/bob/carol/dave: visible joins get the snapshot REST shows them; hidden and missing get the same not_found; no token is a 401 upgrade", async () => {
    const docs = Object.fromEntries(SCOPES.map((scope) => [scope, t.server.data.documents.create({ ...place(scope), title: `Join ${scope}` }).id])) as Record<Scope, string>;
    // bob holds every lock, so snapshots differ per viewer (is_you).
    for (const id of Object.values(docs)) {
      expect((await api(t.url, "POST", `/api/documents/${id}/lock`, { token: tokens.get("bob") as string, body: { client_id: clientId() } })).status).toBe(200);
    }
    const failures: string[] = [];
    const hiddenAnswers = new Set<string>();
    let joins = 0;
    for (const actor of ACTORS) {
      const token = tokens.get(actor) as string;
      const ws = await connectSocket(t, token);
      for (const scope of SCOPES) {
        const room = documentRoom(docs[scope]);
        ws.send({ type: "subscribe", room });
        joins++;
        if (visible(actor, scope)) {
          const snap = await ws.next("subscribed", (m) => m.room === room);
          const rest = LockState.parse((await api(t.url, "GET", `/api/documents/${docs[scope]}/lock`, { token })).body);
          if (JSON.stringify(snap.lock) !== JSON.stringify(rest)) failures.push(`${actor} ${scope}: snapshot ${JSON.stringify(snap.lock)} != REST ${JSON.stringify(rest)}`);
        } else {
          const err = await ws.next("error", (m) => m.room === room);
          hiddenAnswers.add(JSON.stringify([err.code, err.message]));
          if (err.code !== "not_found") failures.push(`${actor} ${scope}: ${err.code}`);
        }
      }
      const missingRoom = documentRoom(MISSING);
      ws.send({ type: "subscribe", room: missingRoom });
      joins++;
      const missing = await ws.next("error", (m) => m.room === missingRoom);
      hiddenAnswers.add(JSON.stringify([missing.code, missing.message]));
      // Nothing from hidden rooms reaches the socket afterwards.
      for (const scope of SCOPES) {
        if (visible(actor, scope)) continue;
        // bob takes his own lock over from another window: an event for the room's members.
        const taken = await api(t.url, "POST", `/api/documents/${docs[scope]}/lock/force-take`, { token: tokens.get("bob") as string, body: { client_id: clientId() } });
        expect(taken.status).toBe(200);
      }
      await sleep(100);
      const leaked = ws.messages.filter((m) => "document_id" in m && !SCOPES.some((s) => visible(actor, s) && docs[s] === m.document_id));
      if (leaked.length > 0) failures.push(`${actor} received ${leaked.length} events of hidden documents`);
      ws.close();
    }
    const revoked = await t.login("carol");
    await api(t.url, "POST", "/api/auth/logout", { token: revoked });
    const upgrades = {
      none: await upgradeStatus(`${t.url}/ws`),
      bad: await upgradeStatus(`${t.url}/ws`, { authorization: `Bearer ${"x".repeat(43)}` }),
      revoked: await upgradeStatus(`${t.url}/ws`, { authorization: `Bearer ${revoked}` }),
      badTicket: await upgradeStatus(`${t.url}/ws?ticket=${"y".repeat(43)}`),
    };
    figure("WebSocket join matrix", {
      operations: joins + 4,
      joins,
      hidden_or_missing_answers_distinct: hiddenAnswers.size,
      upgrades: Object.entries(upgrades).map(([k, v]) => `${k}:${v}`).join(","),
      violations: failures.length + (hiddenAnswers.size === 1 ? 0 : 1),
    });
    expect(failures).toEqual([]);
    expect(hiddenAnswers.size).toBe(1); // hidden and missing: one and the same answer
    expect(upgrades).toEqual({ none: 401, bad: 401, revoked: 401, badTicket: 401 });
  });
});

describe("revocation while connected, across two server processes", () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-access-"));
    const shared = { redisUrl: redis.url, redisKeyPrefix: "acc:", databasePath: path.join(dir, "db.sqlite"), lockTtlMs: 600_000 };
    a = await startTestServer(shared);
    b = await startTestServer(shared, {}, { demo: a.demo });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a member removed on A loses the application's rooms on B at once, keeps their own; a session revoked on A closes its sockets on B only", async () => {
    const { users, applicationId, projectId } = a.demo;
    const appDoc = a.server.data.documents.create({ scope: "application", applicationId, title: "Team", createdBy: users.alice.id }).id;
    const projectDoc = a.server.data.documents.create({ scope: "project", applicationId, projectId, title: "Site", createdBy: users.alice.id }).id;
    const ownDoc = a.server.data.documents.create({ scope: "personal", ownerUserId: users.carol.id, title: "Carol's", createdBy: users.carol.id }).id;
    const alice = await a.login("alice");
    const carol = await a.login("carol");
    const carolOther = await a.login("carol");
    const ws = await connectSocket(b, carol);
    const other = await connectSocket(b, carolOther);
    for (const id of [appDoc, projectDoc, ownDoc]) {
      ws.send({ type: "subscribe", room: documentRoom(id) });
      await ws.next("subscribed", (m) => m.room === documentRoom(id));
    }

    const removedAt = performance.now();
    expect((await api(a.url, "DELETE", `/api/applications/${applicationId}/members/${users.carol.id}`, { token: alice })).status).toBe(204);
    const gone = [await ws.next("unsubscribed", undefined, 2_000), await ws.next("unsubscribed", undefined, 2_000)];
    const roomsLostAfter = performance.now() - removedAt;
    expect(gone.map((m) => [m.room, m.reason]).sort()).toEqual([[documentRoom(appDoc), "access_revoked"], [documentRoom(projectDoc), "access_revoked"]].sort());
    // Nothing more from the application; their own document still talks to them.
    await api(a.url, "POST", `/api/documents/${appDoc}/lock`, { token: alice, body: { client_id: clientId() } });
    await api(a.url, "POST", `/api/documents/${ownDoc}/lock`, { token: carol, body: { client_id: clientId() } });
    const own = await ws.next("document_locked", undefined, 2_000);
    expect(own.document_id).toBe(ownDoc);
    await sleep(200);
    expect(ws.messages.filter((m) => "document_id" in m && m.document_id !== ownDoc)).toEqual([]);
    ws.send({ type: "subscribe", room: documentRoom(appDoc) });
    expect((await ws.next("error")).code).toBe("not_found");

    const revokedAt = performance.now();
    expect((await api(a.url, "POST", "/api/auth/logout", { token: carol })).status).toBe(204);
    const closed = await ws.closed;
    const closedAfter = performance.now() - revokedAt;
    expect(closed.code).toBe(CloseCode.sessionRevoked);
    await sleep(200);
    expect(other.ws.readyState).toBe(other.ws.OPEN); // the other session is untouched
    await expect(ticketFor(b, carol)).rejects.toThrow(/401/);
    other.close();
    a.server.data.workspaces.setMember(applicationId, users.carol.id, "viewer");
    figure("revocation across servers", {
      operations: 12,
      faults_injected: 2,
      rooms_lost_after_ms: Math.round(roomsLostAfter),
      socket_closed_after_ms: Math.round(closedAfter),
      violations: 0,
    });
    expect(roomsLostAfter).toBeLessThan(1_000);
    expect(closedAfter).toBeLessThan(1_000);
  });
});

describe("a non-member cannot tell an existing document from a missing one", () => {
  let redis: TestRedis;
  let t: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, loginRateLimit: 1_000_000 });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const strip = (body: unknown) => JSON.stringify(body, (k, v: unknown) => (k === "request_id" ? undefined : v));

  it("same status, same body (but request_id), similar time: for every document and application route", async () => {
    const dave = await t.login("dave");
    const hiddenDoc = t.demo.documents.handbook as string;
    const hiddenApp = t.demo.applicationId;
    const routes: [string, string, (id: string) => string, unknown?][] = [
      ["doc", "GET", (id) => `/api/documents/${id}`],
      ["doc", "PATCH", (id) => `/api/documents/${id}`, { title: "x" }],
      ["doc", "DELETE", (id) => `/api/documents/${id}`],
      ["doc", "PUT", (id) => `/api/documents/${id}/content`, { content: "x", lock_token: 1, base_version: 1 }],
      ["doc", "POST", (id) => `/api/documents/${id}/lock`, { client_id: "abcdefgh12" }],
      ["doc", "DELETE", (id) => `/api/documents/${id}/lock`, { client_id: "abcdefgh12" }],
      ["doc", "GET", (id) => `/api/documents/${id}/lock`],
      ["doc", "POST", (id) => `/api/documents/${id}/lock/heartbeat`, { client_id: "abcdefgh12", lock_token: 1 }],
      ["doc", "POST", (id) => `/api/documents/${id}/lock/force-take`, { client_id: "abcdefgh12" }],
      ["app", "GET", (id) => `/api/applications/${id}/members`],
      ["app", "PUT", (id) => `/api/applications/${id}/members`, { username: "dave", role: "owner" }],
      ["app", "DELETE", (id) => `/api/applications/${id}/members/${t.demo.users.bob.id}`],
      ["app", "GET", (id) => `/api/applications/${id}/projects`],
      ["app", "POST", (id) => `/api/applications/${id}/projects`, { name: "x" }],
      ["app", "POST", () => "/api/documents", { title: "x", scope: "application", application_id: hiddenApp }],
    ];
    const differences: string[] = [];
    for (const [kind, method, path, body] of routes) {
      const hidden = kind === "doc" ? hiddenDoc : hiddenApp;
      const existing = await api(t.url, method, path(hidden), { token: dave, body });
      const missingBody = JSON.parse(JSON.stringify(body ?? null)?.replace(hiddenApp, MISSING) ?? "null") ?? undefined;
      const missing = await api(t.url, method, path(MISSING), { token: dave, body: missingBody });
      if (existing.status !== missing.status || strip(existing.body) !== strip(missing.body)) {
        differences.push(`${method} ${path(":id")}: ${existing.status} ${strip(existing.body)} vs ${missing.status} ${strip(missing.body)}`);
      }
    }

    // Timing: interleaved, so drift affects both sides alike.
    const SAMPLES = soak(200, 2_000);
    const timed = async (method: string, p: string, body?: unknown) => {
      const started = performance.now();
      await api(t.url, method, p, { token: dave, ...(body ? { body } : {}) });
      return performance.now() - started;
    };
    const timing: Record<string, { existing: number; missing: number }> = {};
    for (const [name, method, path, body] of [
      ["read", "GET", (id: string) => `/api/documents/${id}`, undefined],
      ["acquire", "POST", (id: string) => `/api/documents/${id}/lock`, { client_id: "abcdefgh12" }],
    ] as const) {
      const existing: number[] = [];
      const missing: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        existing.push(await timed(method, path(hiddenDoc), body));
        missing.push(await timed(method, path(MISSING), body));
      }
      timing[name] = { existing: median(existing), missing: median(missing) };
    }
    // And sign-in: a wrong password for a real user vs a user that does not exist.
    const signIn: { existing: number[]; missing: number[]; bodies: Set<string> } = { existing: [], missing: [], bodies: new Set() };
    for (let i = 0; i < SAMPLES / 4; i++) {
      for (const [username, into] of [["alice", signIn.existing], ["nobody-here", signIn.missing]] as const) {
        const started = performance.now();
        const reply = await api(t.url, "POST", "/api/auth/login", { body: { username, password: "not-the-password" } });
        into.push(performance.now() - started);
        signIn.bodies.add(`${reply.status} ${strip(reply.body)}`);
      }
    }
    timing["sign-in"] = { existing: median(signIn.existing), missing: median(signIn.missing) };
    const ratios = Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, v.existing / v.missing]));
    figure("existence is not revealed", {
      operations: routes.length * 2 + SAMPLES * 4 + SAMPLES / 2,
      routes_compared: routes.length,
      medians_ms: Object.entries(timing).map(([k, v]) => `${k}:${v.existing.toFixed(2)}/${v.missing.toFixed(2)}`).join(","),
      ratios: Object.entries(ratios).map(([k, r]) => `${k}:${r.toFixed(2)}`).join(","),
      violations: differences.length + Object.values(ratios).filter((r) => r > 2 || r < 0.5).length + (signIn.bodies.size - 1),
    });
    expect(differences).toEqual([]);
    expect(signIn.bodies.size).toBe(1);
    // Generous: a factor of 2 either way between the medians.
    for (const [name, r] of Object.entries(ratios)) expect([name, r > 0.5 && r < 2]).toEqual([name, true]);
  }, soak(60_000, 300_000));
});
