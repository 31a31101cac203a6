import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentRoom, type LockState } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, connectSocket, startTestServer, type TestServer } from "../helpers/server.js";
import { buildTeam, signIn } from "./helpers/api.js";
import { runContention, type ContentionClient } from "./helpers/contention.js";
import { chainedContent, checkHistory, checkLockEvents, contentHash, type OpRecord } from "./helpers/history.js";
import { figure, runSeed, seededRandom, sleep, soak } from "./helpers/report.js";

const CLIENTS = 50;
const TTL_MS = 1_000;
const DURATION_MS = soak(6_000, 60_000);
const TIMEOUT_MS = DURATION_MS + 60_000;

/** Every fifth member is an owner (force-takes from anyone); the rest are editors. */
const roleOf = (i: number) => (i % 5 === 0 ? ("owner" as const) : ("editor" as const));

async function clientsFor(t: TestServer, prefix: string): Promise<ContentionClient[]> {
  const team = await buildTeam(t.server, t.demo.applicationId, CLIENTS, roleOf, prefix);
  const clients: ContentionClient[] = [];
  // One after the other: concurrent sign-ins from one address count against the login rate
  // limit until they complete, even the successful ones.
  for (const m of team) {
    clients.push({ name: m.username, clientId: clientId(m.username), bearer: await signIn(t.url, m.username), owner: m.role === "owner" });
  }
  return clients;
}

const newDocument = (t: TestServer) =>
  t.server.data.documents.create({
    scope: "application",
    applicationId: t.demo.applicationId,
    title: "Contended",
    content: "base",
    createdBy: t.demo.users.alice.id,
  });

describe("the history checker", () => {
  const op = (o: Partial<OpRecord> & Pick<OpRecord, "client" | "kind" | "start" | "end" | "status">): OpRecord => o;

  it("finds overlapping holds, shared and resurrected tokens and broken save chains (so the contention tests can fail)", () => {
    const doc = { baseVersion: 1, baseContent: "base", finalVersion: 1, finalContent: "base" };
    const kinds = (ops: OpRecord[], d = doc) => checkHistory(ops, d).violations.map((v) => v.split(":")[0]);

    // A proves t=1 after B's t=2 grant was acknowledged: two holders.
    expect(
      kinds([
        op({ client: "a", kind: "acquire", start: 0, end: 1, status: 200, token: 1 }),
        op({ client: "b", kind: "force_take", start: 2, end: 3, status: 200, token: 2 }),
        op({ client: "a", kind: "heartbeat", start: 4, end: 5, status: 200, token: 1 }),
      ]),
    ).toEqual(["overlap"]);
    // Overlapping calls may linearize either way: no violation.
    expect(
      kinds([
        op({ client: "a", kind: "acquire", start: 0, end: 1, status: 200, token: 1 }),
        op({ client: "b", kind: "force_take", start: 2, end: 5, status: 200, token: 2 }),
        op({ client: "a", kind: "heartbeat", start: 4, end: 6, status: 200, token: 1 }),
      ]),
    ).toEqual([]);
    expect(
      kinds([
        op({ client: "a", kind: "acquire", start: 0, end: 2, status: 200, token: 3 }),
        op({ client: "b", kind: "acquire", start: 1, end: 3, status: 200, token: 3 }),
      ]),
    ).toEqual(["shared_token"]);
    expect(
      kinds([
        op({ client: "a", kind: "acquire", start: 0, end: 1, status: 200, token: 1 }),
        op({ client: "a", kind: "heartbeat", start: 2, end: 3, status: 404, code: "lock_expired", token: 1 }),
        op({ client: "a", kind: "heartbeat", start: 4, end: 5, status: 200, token: 1 }),
      ]),
    ).toEqual(["resurrected"]);
    const first = chainedContent("base", "a:1:1");
    const lost = chainedContent("base", "a:1:2");
    expect(
      kinds(
        [
          op({ client: "a", kind: "acquire", start: 0, end: 1, status: 200, token: 1 }),
          op({ client: "a", kind: "save", start: 2, end: 3, status: 200, token: 1, version: 2, content: first, parent: contentHash("base") }),
          op({ client: "a", kind: "save", start: 4, end: 5, status: 200, token: 1, version: 3, content: lost, parent: contentHash("base") }),
        ],
        { ...doc, finalVersion: 3, finalContent: lost },
      ),
    ).toEqual(["save_history"]);
    // An unacknowledged save that committed anyway.
    expect(kinds([], { ...doc, finalVersion: 2, finalContent: first })).toEqual(["save_history", "save_history"]);
  });
});

describe("lock safety under contention (real HTTP servers, real Redis)", () => {
  let redis: TestRedis;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-contention-"));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string, servers: TestServer[]) {
    const [main] = servers as [TestServer];
    const clients = await clientsFor(main, name.replace(/\W/g, "").slice(0, 6));
    const doc = newDocument(main);
    // A viewer in the room on the first server: its events must replay as one consistent story.
    const watcher = await connectSocket(main, await main.login("carol"));
    watcher.send({ type: "subscribe", room: documentRoom(doc.id) });
    const snapshot = await watcher.next("subscribed");
    const from = watcher.messages.length;

    const seed = runSeed();
    const result = await runContention({
      urls: servers.map((s) => s.url),
      documentId: doc.id,
      clients,
      durationMs: DURATION_MS,
      ttlMs: TTL_MS,
      random: seededRandom(seed),
    });
    const final = main.server.data.documents.getWithContent(doc.id);
    const verdict = checkHistory(result.ops, {
      baseVersion: doc.version,
      baseContent: doc.content,
      finalVersion: final?.version ?? -1,
      finalContent: final?.content ?? "",
    });
    await sleep(TTL_MS + 500); // let the last expiries be announced
    const events = checkLockEvents(snapshot.lock as LockState, watcher.messages.slice(from));
    watcher.close();
    const serverErrors = result.ops.filter((o) => o.status >= 500);
    const faults = result.pauses + result.staleProbes + result.ops.filter((o) => o.kind === "force_take" && o.status === 200).length;
    figure(name, {
      seed,
      clients: clients.length,
      servers: servers.length,
      operations: verdict.operations,
      grants: verdict.grants,
      acknowledged_saves: verdict.acknowledgedSaves,
      proofs: verdict.proofs,
      refutations: verdict.refutations,
      faults_injected: faults,
      pauses: result.pauses,
      force_take_attempts: result.forceTakes,
      stale_probes: result.staleProbes,
      room_events: events.events,
      server_errors: serverErrors.length,
      violations: verdict.violations.length + (servers.length === 1 ? events.violations.length : 0),
    });
    return { result, verdict, events, serverErrors };
  }

  it(
    `${CLIENTS} clients on one server: no two holders, tokens strictly increase, every acknowledged save once and in order`,
    async () => {
      const t = await startTestServer({ redisUrl: redis.url, lockTtlMs: TTL_MS, lockSweepIntervalMs: 100 });
      try {
        const { verdict, events, serverErrors } = await run("contention, one server", [t]);
        expect(serverErrors).toEqual([]);
        expect(verdict.violations.slice(0, 10)).toEqual([]);
        // Events from one server replay in Redis order.
        expect(events.violations.slice(0, 10)).toEqual([]);
        // It did real work: the lock changed hands, saves landed, stale calls were refused.
        expect(verdict.grants).toBeGreaterThanOrEqual(5);
        expect(verdict.acknowledgedSaves).toBeGreaterThanOrEqual(10);
        expect(verdict.refutations).toBeGreaterThan(0);
      } finally {
        await t.close();
      }
    },
    TIMEOUT_MS,
  );

  it(
    `${CLIENTS} clients on two server processes sharing Redis and the database: the same guarantees`,
    async () => {
      const shared = {
        redisUrl: redis.url,
        redisKeyPrefix: "two:",
        databasePath: path.join(dir, "two.sqlite"),
        lockTtlMs: TTL_MS,
        lockSweepIntervalMs: 100,
      };
      const a = await startTestServer(shared);
      const b = await startTestServer(shared, {}, { demo: a.demo });
      try {
        const { verdict, serverErrors } = await run("contention, two servers", [a, b]);
        expect(serverErrors).toEqual([]);
        expect(verdict.violations.slice(0, 10)).toEqual([]);
        expect(verdict.grants).toBeGreaterThanOrEqual(5);
        expect(verdict.acknowledgedSaves).toBeGreaterThanOrEqual(10);
      } finally {
        await a.close();
        await b.close();
      }
    },
    TIMEOUT_MS,
  );
});
