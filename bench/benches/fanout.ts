import { randomUUID } from "node:crypto";
import { documentRoom, REALTIME_PATH } from "../../protocol/index.js";
import { inRun, type BenchContext } from "../lib/context.js";
import { buildFixture, type Fixture } from "../lib/fixture.js";
import { startLockstep, startWorker, type ServerHandle } from "../lib/servers.js";
import { summarize, type Summary } from "../lib/stats.js";
import { formatNumber, limitRow, type Row } from "../lib/table.js";
import type { BareServerApi } from "../workers/bare-server.js";
import type { WsClientsApi } from "../workers/ws-clients.js";

const P99_GOAL_MS = 50;

const wsUrl = (httpUrl: string, path: string): string => `${httpUrl.replace(/^http/, "ws")}${path}`;

/**
 * Benchmark 3: `subscribers` WebSocket clients (in their own process) in one document room;
 * time from a force-take request to the last subscriber's receipt of document_force_taken.
 * On one server process and on WORKERS=2 (subscribers spread over both, the event crossing
 * Redis pub/sub), against a bare `ws` server broadcasting the same event to the same clients.
 */
export async function fanoutBench(ctx: BenchContext): Promise<Row[]> {
  const p = ctx.profile.fanout;
  const fixture = await buildFixture(inRun(ctx, "fanout.db"), { documents: 1, editors: 0, viewers: 20 });
  const documentId = fixture.documents[0] as string;
  const room = documentRoom(documentId);
  const started: { stop(): Promise<void> }[] = [];
  try {
    const clients = await startWorker<WsClientsApi>(ctx, "fanout-clients", "ws-clients");
    started.push(clients.handle);

    const measure = async (kind: "lockstep" | "bare", baseUrl: string, path: string): Promise<Summary & { http: Summary; first: Summary }> => {
      const tokens = fixture.viewers.map((v) => v.token);
      await clients.rpc.call("connect", { wsUrl: wsUrl(baseUrl, path), tokens, room, count: p.subscribers }, 120_000);
      try {
        const call = (iterations: number) =>
          clients.rpc.call(
            "fanout",
            { kind, baseUrl, documentId, room, ownerToken: fixture.owner.token, iterations, gapMs: p.gapMs, runId: randomUUID().slice(0, 8) },
            iterations * 6_000 + 10_000,
          );
        await call(p.warmupIterations);
        const samples = await call(p.iterations);
        if (samples.incomplete > 0) throw new Error(`${kind}: ${samples.incomplete} of ${p.iterations} events did not reach every subscriber within 5 s`);
        const s = summarize(samples.last);
        ctx.log(
          `  3 ${kind} ${baseUrl}: last receipt p50 ${formatNumber(s.p50)} ms, p99 ${formatNumber(s.p99)} ms, max ${formatNumber(s.max)} ms; ` +
            `first p50 ${formatNumber(summarize(samples.first).p50)} ms; HTTP answer p50 ${formatNumber(summarize(samples.http).p50)} ms`,
        );
        return { ...s, http: summarize(samples.http), first: summarize(samples.first) };
      } finally {
        await clients.rpc.call("close", {}, 30_000);
      }
    };

    const bare = await startWorker<BareServerApi>(ctx, "fanout-bare", "bare-server");
    started.push(bare.handle);
    const bareUrl = (await bare.rpc.call("start", { redisUrl: ctx.redis.url, ttlMs: 45_000 }, 10_000)).url;

    const lockstepCase = async (workers: number): Promise<Summary & { http: Summary; first: Summary }> => {
      const server = await startLockstep(ctx, { name: `fanout-lockstep-w${workers}`, databasePath: fixture.databasePath, workers });
      try {
        await holdInitialLock(server, fixture, documentId);
        return await measure("lockstep", server.url, REALTIME_PATH);
      } finally {
        await server.stop();
      }
    };
    const reference = await measure("bare", bareUrl, "/");
    const one = await lockstepCase(1);
    const two = await lockstepCase(2);

    const refFig = { value: reference.p99, unit: "ms", label: "bare ws p99", note: `p50 ${formatNumber(reference.p50)} ms` };
    const fig = (s: Summary & { http: Summary }) => ({
      value: s.p99,
      unit: "ms",
      label: "p99",
      note: `p50 ${formatNumber(s.p50)} ms, HTTP answer p50 ${formatNumber(s.http.p50)} ms`,
    });
    const title = (where: string) => `Fan-out: force-take → last of ${p.subscribers} subscribers has it, ${where} (${p.iterations} takes)`;
    return [
      limitRow({ id: "3a", title: title("1 server process"), lockstep: fig(one), reference: refFig, better: "lower" }, { max: P99_GOAL_MS, text: `p99 ≤ ${P99_GOAL_MS} ms` }),
      limitRow({ id: "3b", title: title("WORKERS=2 behind one Redis"), lockstep: fig(two), reference: refFig, better: "lower" }, { max: P99_GOAL_MS, text: `p99 ≤ ${P99_GOAL_MS} ms` }),
    ];
  } finally {
    for (const s of started.reverse()) await s.stop();
  }
}

/**
 * The first measured force-take must take from someone to be a force-take: alice holds it
 * first (with a force-take too, since a previous case may have left it held).
 */
async function holdInitialLock(server: ServerHandle, fixture: Fixture, documentId: string): Promise<void> {
  const res = await fetch(`${server.url}/api/documents/${documentId}/lock/force-take`, {
    method: "POST",
    headers: { authorization: `Bearer ${fixture.owner.token}`, "content-type": "application/json" },
    body: JSON.stringify({ client_id: `ft-initial-${randomUUID().slice(0, 8)}` }),
  });
  if (res.status !== 200) throw new Error(`initial lock: ${res.status} ${await res.text()}`);
}
