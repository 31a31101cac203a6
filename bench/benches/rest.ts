import type { BenchContext } from "../lib/context.js";
import { inRun } from "../lib/context.js";
import { buildFixture } from "../lib/fixture.js";
import { startLockstep, startWorker, type ServerHandle } from "../lib/servers.js";
import { median } from "../lib/stats.js";
import { formatNumber, ratioRow, type Row } from "../lib/table.js";
import type { AutocannonApi, LoadResult } from "../workers/autocannon.js";
import type { BareServerApi } from "../workers/bare-server.js";

const TTL_MS = 45_000;

/**
 * Benchmark 2: POST + DELETE /api/documents/{id}/lock through the whole server (auth,
 * validation, access check, Lua script, fence write, broadcast, request log) against a bare
 * Express 5 route doing one SET NX PX / one DEL, both in their own processes, loaded by
 * autocannon in a third. Warm-up, then rounds in alternating order; figures are medians.
 */
export async function restBench(ctx: BenchContext): Promise<Row[]> {
  const p = ctx.profile.rest;
  const fixture = await buildFixture(inRun(ctx, "rest.db"), { documents: p.documents, editors: 1, viewers: 0 });
  const editor = fixture.editors[0];
  if (!editor) throw new Error("fixture has no editor");
  const started: { stop(): Promise<void> }[] = [];
  try {
    const lockstep: ServerHandle = await startLockstep(ctx, { name: "rest-lockstep", databasePath: fixture.databasePath });
    started.push(lockstep);
    const bare = await startWorker<BareServerApi>(ctx, "rest-bare", "bare-server", { profile: true });
    started.push(bare.handle);
    const bareUrl = (await bare.rpc.call("start", { redisUrl: ctx.redis.url, ttlMs: TTL_MS }, 10_000)).url;
    const load = await startWorker<AutocannonApi>(ctx, "rest-autocannon", "autocannon");
    started.push(load.handle);

    const targets = { lockstep: lockstep.url, bare: bareUrl } as const;
    const processes = { lockstep, bare: bare.handle } as const;
    /** Server CPU time per request, µs: steadier than req/s on a machine shared with others. */
    const cpuPerRequest: Record<keyof typeof targets, number[]> = { lockstep: [], bare: [] };
    const runOnce = async (target: keyof typeof targets, durationSec: number): Promise<LoadResult> => {
      // A run ends between a POST and its DELETE on some connections: the bare route would
      // answer 409 to those documents next time (Lockstep answers 200, same user and client).
      await bare.rpc.call("reset", {}, 10_000);
      const cpu0 = processes[target].cpuSeconds();
      const result = await load.rpc.call(
        "run",
        { url: targets[target], token: editor.token, documents: [...fixture.documents], connections: p.connections, durationSec },
        (durationSec + 30) * 1_000,
      );
      if (result.requests > 0) cpuPerRequest[target].push(((processes[target].cpuSeconds() - cpu0) * 1e6) / result.requests);
      return result;
    };
    if (p.warmupSec > 0) {
      await runOnce("bare", p.warmupSec);
      await runOnce("lockstep", p.warmupSec);
    }
    const results: Record<keyof typeof targets, LoadResult[]> = { lockstep: [], bare: [] };
    for (let round = 0; round < p.rounds; round++) {
      const order: (keyof typeof targets)[] = round % 2 === 0 ? ["bare", "lockstep"] : ["lockstep", "bare"];
      for (const target of order) {
        const r = await runOnce(target, p.durationSec);
        ctx.log(
          `  2 ${target}: ${formatNumber(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms ` +
            `(${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts; ` +
            `server CPU ${formatNumber(cpuPerRequest[target].at(-1) ?? Number.NaN)} µs/request)`,
        );
        if (r.requests === 0 || r.non2xx > 0 || r.errors > 0) {
          throw new Error(`${target}: ${r.non2xx} non-2xx answers and ${r.errors} errors out of ${r.requests} requests`);
        }
        results[target].push(r);
      }
    }
    const rps = (t: keyof typeof targets): number => median(results[t].map((r) => r.requestsPerSecond));
    const p99 = (t: keyof typeof targets): number => median(results[t].map((r) => r.p99));
    const p50 = (t: keyof typeof targets): number => median(results[t].map((r) => r.p50));
    const how = `${p.connections} connections, ${p.rounds}×${p.durationSec} s median, autocannon in its own process`;
    return [
      ratioRow({
        id: "2a",
        title: `REST lock+unlock throughput, full server vs bare Express 5 route (${how})`,
        lockstep: { value: rps("lockstep"), unit: "req/s", label: "Lockstep", note: `server CPU ${formatNumber(median(cpuPerRequest.lockstep))} µs/request` },
        reference: { value: rps("bare"), unit: "req/s", label: "bare route", note: `server CPU ${formatNumber(median(cpuPerRequest.bare))} µs/request` },
        better: "higher",
        goal: { min: 0.7, text: "≥ 0.70×" },
      }),
      ratioRow({
        id: "2b",
        title: "REST lock+unlock p99 latency, full server vs bare route",
        lockstep: { value: p99("lockstep"), unit: "ms", label: "Lockstep p99", note: `p50 ${formatNumber(p50("lockstep"))} ms` },
        reference: { value: p99("bare"), unit: "ms", label: "bare p99", note: `p50 ${formatNumber(p50("bare"))} ms` },
        better: "lower",
        goal: { max: 2, text: "< 2.0×" },
      }),
    ];
  } finally {
    for (const s of started.reverse()) await s.stop();
  }
}

