import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, ForceTakeResult, LockGrant, LockState, documentRoom } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, connectSocket, startTestServer, type Reply, type TestServer, type TestSocket } from "../helpers/server.js";
import { api, buildTeam, signIn } from "./helpers/api.js";
import { figure, sleep, soak } from "./helpers/report.js";

const TTL_MS = 1_000;

const newDoc = (t: TestServer, title = "Faults") =>
  t.server.data.documents.create({
    scope: "application",
    applicationId: t.demo.applicationId,
    title,
    content: "v1",
    createdBy: t.demo.users.alice.id,
  });

const lockPath = (id: string) => `/api/documents/${id}/lock`;

/** Acquire, heartbeat, save and release as one window (user + client id) of one server. */
function windowOf(t: { url: string }, bearer: string, id: string, client = clientId()) {
  return {
    client,
    acquire: () => api(t.url, "POST", lockPath(id), { token: bearer, body: { client_id: client } }),
    heartbeat: (token: number) => api(t.url, "POST", `${lockPath(id)}/heartbeat`, { token: bearer, body: { client_id: client, lock_token: token } }),
    save: (token: number, base: number, content: string) =>
      api(t.url, "PUT", `/api/documents/${id}/content`, { token: bearer, body: { content, lock_token: token, base_version: base, client_id: client } }),
    release: () => api(t.url, "DELETE", lockPath(id), { token: bearer, body: { client_id: client } }),
    forceTake: () => api(t.url, "POST", `${lockPath(id)}/force-take`, { token: bearer, body: { client_id: client } }),
    state: () => api(t.url, "GET", lockPath(id), { token: bearer }),
  };
}

const codeOf = (reply: Reply) => [reply.status, ErrorBody.safeParse(reply.body).data?.error.code ?? "ok"];

describe("faults: paused and killed holders, force-take during a save (real server, real Redis)", () => {
  let redis: TestRedis;
  let t: TestServer;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, lockTtlMs: TTL_MS, lockSweepIntervalMs: 100 });
    alice = await t.login("alice");
    bob = await t.login("bob");
    carol = await t.login("carol");
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it("a holder paused past the TTL: its heartbeat answers 404/409, its save is fenced off, its release never touches the new holder's lock", async () => {
    // Three documents, one story each, run side by side: after the pause nobody took the lock,
    // another user took it, or the same user took it from another window.
    const stories = ["nobody", "another user", "own other window"] as const;
    const watcher = await connectSocket(t, carol);
    const results = await Promise.all(
      stories.map(async (story) => {
        const doc = newDoc(t, `Paused (${story})`);
        watcher.send({ type: "subscribe", room: documentRoom(doc.id) });
        const stale = windowOf(t, bob, doc.id);
        const grant = LockGrant.parse((await stale.acquire()).body);
        expect((await stale.save(grant.lock_token, 1, "before the pause")).status).toBe(200);

        await sleep(TTL_MS + 400); // the holder's timers stop: no heartbeat past the TTL

        const next = story === "another user" ? windowOf(t, alice, doc.id) : story === "own other window" ? windowOf(t, bob, doc.id) : undefined;
        const nextGrant = next ? LockGrant.parse((await next.acquire()).body) : undefined;
        if (nextGrant) expect(nextGrant.lock_token).toBeGreaterThan(grant.lock_token);
        const before = LockState.parse((await stale.state()).body);

        // The holder resumes with what it had.
        const heartbeat = await stale.heartbeat(grant.lock_token);
        const save = await stale.save(grant.lock_token, 2, "after the pause");
        const release = await stale.release();
        const after = LockState.parse((await stale.state()).body);
        const content = t.server.data.documents.getWithContent(doc.id);

        expect(codeOf(heartbeat)).toEqual(nextGrant ? [409, "lock_taken"] : [404, "lock_expired"]);
        expect(codeOf(save)).toEqual([409, "lock_not_held"]);
        expect([content?.version, content?.content]).toEqual([2, "before the pause"]);
        if (nextGrant && next) {
          // The new holder's lock is untouched: same holder, same client, not shortened.
          expect(codeOf(release)).toEqual([403, "not_lock_holder"]);
          expect(after.holder?.client_id).toBe(next.client);
          expect(Date.parse(after.expires_at ?? "")).toBeGreaterThanOrEqual(Date.parse(before.expires_at ?? ""));
          expect((await next.heartbeat(nextGrant.lock_token)).status).toBe(200);
          expect((await next.save(nextGrant.lock_token, 2, "new holder")).status).toBe(200);
        } else {
          expect(codeOf(release)).toEqual([200, "ok"]); // idempotent: there is nothing to release
          expect(after.locked).toBe(false);
        }
        return { story, heartbeat: heartbeat.status, save: save.status, release: release.status };
      }),
    );
    // Every room was told that the paused holder's lock expired.
    for (const _ of stories) expect((await watcher.next("document_unlocked", (m) => m.reason === "expired", 3_000)).previous_holder.user_name).toBe("bob");
    watcher.close();
    figure("paused holder", {
      operations: results.length * 7,
      faults_injected: results.length,
      stale_calls_refused: results.length * 2 + results.filter((r) => r.release === 403).length,
      violations: 0,
      outcomes: results.map((r) => `${r.story.replace(/ /g, "_")}:${r.heartbeat}/${r.save}/${r.release}`).join(","),
    });
  });

  it("a holder process killed with SIGKILL: the lock is free within TTL + 2 s and the room is told it expired", async () => {
    const doc = newDoc(t, "Killed holder");
    const watcher = await connectSocket(t, carol);
    watcher.send({ type: "subscribe", room: documentRoom(doc.id) });
    await watcher.next("subscribed");
    const holderClient = clientId("child");
    const child = spawn(process.execPath, [fileURLToPath(new URL("./helpers/holder-process.mjs", import.meta.url))], {
      env: { ...process.env, LOCKSTEP_URL: t.url, LOCKSTEP_TOKEN: bob, LOCKSTEP_DOC: doc.id, LOCKSTEP_CLIENT: holderClient },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    const lines = createInterface({ input: child.stdout });
    const seen: { type: string; lock_token?: number; status?: number }[] = [];
    const beats = new Promise<void>((resolve) =>
      lines.on("line", (line) => {
        seen.push(JSON.parse(line));
        if (seen.filter((m) => m.type === "beat" && m.status === 200).length >= 2) resolve();
      }),
    );
    await beats; // it holds the lock and keeps it alive
    const held = seen.find((m) => m.type === "held");
    expect(held?.lock_token).toBeGreaterThan(0);
    expect(LockState.parse((await api(t.url, "GET", lockPath(doc.id), { token: carol })).body).holder?.client_id).toBe(holderClient);

    const killedAt = performance.now();
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    let freeAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - killedAt < TTL_MS + 3_000) {
      const state = LockState.parse((await api(t.url, "GET", lockPath(doc.id), { token: carol })).body);
      if (!state.locked) {
        freeAfter = performance.now() - killedAt;
        break;
      }
      await sleep(25);
    }
    const expired = await watcher.next("document_unlocked", undefined, TTL_MS + 3_000);
    const announcedAfter = performance.now() - killedAt;
    expect(expired).toMatchObject({ reason: "expired", previous_holder: { client_id: holderClient, user_name: "bob" } });
    expect(freeAfter).toBeLessThanOrEqual(TTL_MS + 2_000);
    expect(announcedAfter).toBeLessThanOrEqual(TTL_MS + 2_000);
    // And someone else can have it, with a larger token.
    const next = LockGrant.parse((await windowOf(t, alice, doc.id).acquire()).body);
    expect(next.lock_token).toBeGreaterThan(held?.lock_token ?? Number.POSITIVE_INFINITY);
    watcher.close();
    figure("holder killed", {
      operations: seen.length + 2,
      faults_injected: 1,
      free_after_ms: Math.round(freeAfter),
      expired_announced_after_ms: Math.round(announcedAfter),
      bound_ms: TTL_MS + 2_000,
      violations: 0,
    });
  });

  it("a force-take while a save is in flight: the save is refused, the old holder is told on its socket and gets 409 next", async () => {
    const doc = newDoc(t, "In-flight save");
    const bobWin = windowOf(t, bob, doc.id);
    const bobSocket = await connectSocket(t, bob);
    bobSocket.send({ type: "subscribe", room: documentRoom(doc.id) });
    await bobSocket.next("subscribed");
    const grant = LockGrant.parse((await bobWin.acquire()).body);

    // The save's headers and half its body are on the wire when the owner takes over.
    const body = JSON.stringify({ content: "x".repeat(1_000_000), lock_token: grant.lock_token, base_version: 1, client_id: bobWin.client });
    const split = Math.floor(body.length / 2);
    const url = new URL(`/api/documents/${doc.id}/content`, t.url);
    let sentAt = 0;
    const answer = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = request(
        url,
        { method: "PUT", headers: { authorization: `Bearer ${bob}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, split));
      sleep(100)
        .then(async () => {
          const taken = ForceTakeResult.parse((await windowOf(t, alice, doc.id).forceTake()).body);
          expect(taken.previous_holder?.client_id).toBe(bobWin.client);
          sentAt = performance.now();
          req.end(body.slice(split));
        })
        .catch(reject);
    });
    const saved = await answer;
    expect([saved.status, ErrorBody.parse(saved.body).error.code]).toEqual([409, "lock_not_held"]);
    const told = await bobSocket.next("document_force_taken");
    expect(told).toMatchObject({ previous_holder: { client_id: bobWin.client }, holder: { user_name: "alice" } });
    expect(codeOf(await bobWin.heartbeat(grant.lock_token))).toEqual([409, "lock_taken"]);
    expect(codeOf(await bobWin.save(grant.lock_token, 1, "again"))).toEqual([409, "lock_not_held"]);
    expect(t.server.data.documents.getWithContent(doc.id)?.content).toBe("v1");
    bobSocket.close();
    figure("force-take during an in-flight save (deterministic)", {
      operations: 6,
      faults_injected: 1,
      save_answer_ms_after_body: Math.round(performance.now() - sentAt),
      violations: 0,
    });
  });
});

describe("faults: force-take racing saves across two server processes", () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-faults-"));
    const shared = { redisUrl: redis.url, redisKeyPrefix: "race:", databasePath: path.join(dir, "db.sqlite"), lockTtlMs: 10_000 };
    // One subscribe and one unsubscribe per round: above the default per-socket message rate.
    const deps = { hub: { messagesPerSecond: 1_000, messageBurst: 1_000 } };
    a = await startTestServer(shared, deps);
    b = await startTestServer(shared, deps, { demo: a.demo });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each save either is refused or is ordered before the take-over; the old holder is always told", async () => {
    const rounds = soak(40, 400);
    const bob = await a.login("bob");
    const alice = await b.login("alice");
    const bobSocket: TestSocket = await connectSocket(a, bob);
    let committedFirst = 0;
    let refused = 0;
    const violations: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const doc = newDoc(a, `Race ${round}`);
      bobSocket.send({ type: "subscribe", room: documentRoom(doc.id) });
      await bobSocket.next("subscribed", (m) => m.room === documentRoom(doc.id));
      const bobWin = windowOf(a, bob, doc.id);
      const grant = LockGrant.parse((await bobWin.acquire()).body);
      const aliceWin = windowOf(b, alice, doc.id);
      const content = `bob's save in round ${round}`;
      // The save goes to server A, the take-over to server B, a random moment apart.
      const [save, take] = await Promise.all([
        bobWin.save(grant.lock_token, 1, content),
        sleep(Math.random() * 4).then(() => aliceWin.forceTake()),
      ]);
      const taken = ForceTakeResult.parse(take.body);
      const seen = await api(b.url, "GET", `/api/documents/${doc.id}`, { token: alice });
      if (save.status === 200) {
        committedFirst++;
        // Ordered before the take-over: the new holder's first read already has it.
        if (seen.body.version !== 2 || seen.body.content !== content) violations.push(`round ${round}: acknowledged save not visible to the new holder`);
        if ((await aliceWin.save(taken.lock_token, 2, "alice on top")).status !== 200) violations.push(`round ${round}: new holder could not save on top`);
      } else {
        refused++;
        if (JSON.stringify(codeOf(save)) !== JSON.stringify([409, "lock_not_held"])) violations.push(`round ${round}: save answered ${JSON.stringify(codeOf(save))}`);
        if (seen.body.version !== 1) violations.push(`round ${round}: a refused save changed the document`);
      }
      const told = await bobSocket.next("document_force_taken", (m) => m.document_id === doc.id, 3_000);
      if (told.previous_holder.client_id !== bobWin.client) violations.push(`round ${round}: wrong previous holder`);
      const next = codeOf(await bobWin.heartbeat(grant.lock_token));
      if (JSON.stringify(next) !== JSON.stringify([409, "lock_taken"])) violations.push(`round ${round}: old holder's next heartbeat ${JSON.stringify(next)}`);
      bobSocket.send({ type: "unsubscribe", room: documentRoom(doc.id) });
      await bobSocket.next("unsubscribed");
    }
    bobSocket.close();
    figure("force-take racing saves, two servers", {
      operations: rounds * 6,
      faults_injected: rounds,
      committed_before_take: committedFirst,
      refused: refused,
      violations: violations.length,
    });
    expect(violations).toEqual([]);
    expect(committedFirst + refused).toBe(rounds);
  }, soak(60_000, 300_000));
});

describe("faults: Redis restarted without persistence", () => {
  let redis: TestRedis;
  let t: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    // A long TTL: the locks below are lost to the restart, not to expiry.
    t = await startTestServer({ redisUrl: redis.url, lockTtlMs: 10_000, lockSweepIntervalMs: 100, redisCommandTimeoutMs: 500 });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it("lock routes answer 503 + Retry-After while it is down, recover without a server restart; holders get 404 lock_expired, re-acquire cleanly; SCRIPT FLUSH is survived", async () => {
    const HOLDERS = 4;
    const team = await buildTeam(t.server, t.demo.applicationId, HOLDERS, () => "editor", "redis");
    const holders = [];
    for (const m of team) {
      const bearer = await signIn(t.url, m.username);
      const doc = newDoc(t, `Redis ${m.username}`);
      const win = windowOf(t, bearer, doc.id);
      const grant = LockGrant.parse((await win.acquire()).body);
      expect((await win.save(grant.lock_token, 1, "before the restart")).status).toBe(200);
      holders.push({ bearer, doc: doc.id, win, token: grant.lock_token });
    }
    const watcher = await connectSocket(t, await t.login("carol"));
    for (const h of holders) {
      watcher.send({ type: "subscribe", room: documentRoom(h.doc) });
      await watcher.next("subscribed");
    }

    await redis.stop();
    const [first] = holders as [(typeof holders)[number]];
    const down: Reply[] = [
      await first.win.acquire(),
      await first.win.heartbeat(first.token),
      await first.win.save(first.token, 2, "while down"),
      await first.win.release(),
      await first.win.forceTake(),
      await first.win.state(),
      await api(t.url, "GET", `/api/documents/${first.doc}`, { token: first.bearer }),
      await api(t.url, "GET", "/api/documents", { token: first.bearer }),
    ];
    const unavailable = down.filter((r) => r.status === 503 && r.body.error.code === "store_unavailable" && Number(r.headers.get("retry-after")) > 0);
    expect(down.map((r) => r.status)).toEqual(down.map(() => 503));
    expect(unavailable).toHaveLength(down.length);
    // A join while Redis is down (on a socket of its own: a failed join leaves the room).
    const joiner = await connectSocket(t, first.bearer);
    joiner.send({ type: "subscribe", room: documentRoom(first.doc) });
    expect((await joiner.next("error")).code).toBe("store_unavailable");
    joiner.close();
    expect((await api(t.url, "GET", "/api/me", { token: first.bearer })).status).toBe(200);

    const restartedAt = performance.now();
    await redis.start();
    let recoveredAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - restartedAt < 10_000) {
      if ((await first.win.state()).status === 200) {
        recoveredAfter = performance.now() - restartedAt;
        break;
      }
      await sleep(50);
    }
    expect(recoveredAfter).toBeLessThan(10_000);

    // Pub/sub is at-most-once: events published before the server's subscriber connection is
    // back are lost. Wait for it with a probe document before counting on room events.
    const probe = newDoc(t, "Probe");
    watcher.send({ type: "subscribe", room: documentRoom(probe.id) });
    await watcher.next("subscribed", (m) => m.room === documentRoom(probe.id));
    const probeWin = windowOf(t, first.bearer, probe.id);
    let busBackAfter = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 100 && busBackAfter === Number.POSITIVE_INFINITY; i++) {
      await probeWin.acquire();
      await probeWin.release();
      await sleep(50);
      if (watcher.messages.some((m) => m.type === "document_locked" && m.document_id === probe.id)) busBackAfter = performance.now() - restartedAt;
    }
    expect(busBackAfter).toBeLessThan(10_000);

    // Every holder learns on its next heartbeat that its lock is gone, and re-acquires cleanly.
    let toldExpired = 0;
    for (const h of holders) {
      const beat = await h.win.heartbeat(h.token);
      expect(codeOf(beat)).toEqual([404, "lock_expired"]);
      toldExpired++;
      expect(codeOf(await h.win.save(h.token, 2, "stale after the restart"))).toEqual([409, "lock_not_held"]);
      const again = LockGrant.parse((await h.win.acquire()).body);
      // Fencing survives the data loss: the counter restarts above every token handed out.
      expect(again.lock_token).toBeGreaterThan(h.token);
      expect((await h.win.save(again.lock_token, 2, "after the restart")).status).toBe(200);
      h.token = again.lock_token;
      // The event bus came back too: the room hears about the new lock.
      expect((await watcher.next("document_locked", (m) => m.document_id === h.doc, 3_000)).holder.client_id).toBe(h.win.client);
    }

    // Script cache loss: every script falls back from EVALSHA to EVAL.
    const admin = redis.client();
    const failedEvalsha = async () => Number(/cmdstat_evalsha:.*failed_calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    const before = await failedEvalsha();
    const afterFlush: Reply[] = [];
    for (const h of holders) {
      expect(await admin.script("FLUSH")).toBe("OK");
      afterFlush.push(await h.win.heartbeat(h.token));
      afterFlush.push(await h.win.save(h.token, 3, "after the flush"));
      afterFlush.push(await h.win.release());
      afterFlush.push(await h.win.forceTake());
    }
    expect(afterFlush.map((r) => r.status)).toEqual(afterFlush.map(() => 200));
    const fallbacks = (await failedEvalsha()) - before;
    expect(fallbacks).toBeGreaterThan(0);
    watcher.close();
    figure("redis restart", {
      operations: down.length + holders.length * 4 + afterFlush.length,
      faults_injected: 1 + holders.length, // the restart, and a SCRIPT FLUSH per holder
      answered_503_while_down: unavailable.length,
      locks_back_after_ms: Math.round(recoveredAfter),
      events_back_after_ms: Math.round(busBackAfter),
      holders_told_lock_expired: toldExpired,
      noscript_fallbacks: fallbacks,
      violations: 0,
    });
  });

  /*
   * A Redis restart without persistence drops every lock and its expiry index (no sweep will
   * announce them), and events published while the server's subscriber reconnects are lost.
   * Sockets stay connected through it, so the server itself must resync every joined room
   * (a fresh `subscribed` snapshot) once the bus is back.
   */
  it("after a Redis restart, sockets that stayed connected are resynced: each room learns its lock is gone, with no client action", async () => {
    const bob = await t.login("bob");
    const docs = [newDoc(t, "Resync 1"), newDoc(t, "Resync 2")];
    const watcher = await connectSocket(t, await t.login("carol"));
    for (const doc of docs) {
      watcher.send({ type: "subscribe", room: documentRoom(doc.id) });
      await watcher.next("subscribed", (m) => m.room === documentRoom(doc.id));
      expect((await windowOf(t, bob, doc.id).acquire()).status).toBe(200);
      await watcher.next("document_locked", (m) => m.document_id === doc.id);
    }
    const from = watcher.messages.length;
    await redis.stop();
    await sleep(500);
    await redis.start();
    await sleep(5_000); // nobody touches these documents: the server alone must tell the rooms
    const told = docs.filter((doc) =>
      watcher.messages.slice(from).some(
        (m) =>
          (m.type === "document_unlocked" && m.document_id === doc.id) ||
          (m.type === "subscribed" && m.room === documentRoom(doc.id) && !m.lock.locked),
      ),
    );
    const truth = await Promise.all(docs.map(async (doc) => LockState.parse((await windowOf(t, bob, doc.id).state()).body).locked));
    watcher.close();
    figure("redis restart: rooms resynced", {
      operations: docs.length * 2,
      faults_injected: 1,
      rooms_with_lost_lock: truth.filter((locked) => !locked).length,
      rooms_told: told.length,
      violations: docs.length - told.length,
    });
    expect(truth).toEqual(docs.map(() => false));
    expect(told.map((d) => d.id)).toEqual(docs.map((d) => d.id));
  }, 20_000);
});
