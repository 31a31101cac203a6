import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { documentRoom, REALTIME_PATH } from "../../protocol/index.js";
import { inRun, type BenchContext } from "../lib/context.js";
import { buildFixture, type Fixture } from "../lib/fixture.js";
import { sleep } from "../lib/net.js";
import { openFilesLimit } from "../lib/proc-stats.js";
import type { RpcClient } from "../lib/rpc.js";
import { startLockstep, startWorker, type ServerHandle } from "../lib/servers.js";
import { summarize } from "../lib/stats.js";
import { formatNumber, limitRow, ratioRow, type Row } from "../lib/table.js";
import type { BareServerApi } from "../workers/bare-server.js";
import type { EditorSpec, EditorsLoadApi } from "../workers/editors-load.js";

const GOAL_EDITORS = 10_000;
/** Keep-alive heartbeat sockets per load process. */
const MAX_HEARTBEAT_SOCKETS = 256;
/** File descriptors a server process keeps for everything but client sockets. */
const SERVER_FD_RESERVE = 500;
/** Wall-clock bound on one configuration's stepping (connect + settle + window per step). */
const CONFIG_TIME_BUDGET_MS = 150_000;
/**
 * Editors being set up at once per load process (each opens its sockets one after the other).
 * More makes the kernel drop SYNs here (ListenOverflows; a dropped SYN costs a 1 s
 * retransmit, which also delays heartbeats on new keep-alive sockets past the short TTL).
 */
const SETUP_PARALLEL = 8;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly wsPath: string;
  readonly processes: number;
  readonly server: Pick<ServerHandle, "rssBytes" | "cpuSeconds">;
}

interface StepResult {
  readonly editors: number;
  readonly sockets: number;
  readonly p50: number;
  readonly p99: number;
  readonly heartbeats: number;
  readonly lost: number;
  readonly errors: number;
  readonly rssBytes: number;
  readonly cpuPercent: number;
  readonly connectMs: number;
  readonly problems: readonly string[];
}

interface Outcome {
  /** Largest passing step, 0 when none passed. */
  readonly best: number;
  readonly bestStep: StepResult | undefined;
  /** The largest step whose sockets all connected (passing or not): memory is read there. */
  readonly largest: StepResult | undefined;
  readonly idleRssBytes: number;
  /** Why stepping stopped. */
  readonly limitedBy: string;
}

/** Ephemeral ports for connections to one server address and port. */
function ephemeralPorts(): number {
  const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  return (high ?? 60_999) - (low ?? 32_768) + 1;
}

/**
 * Editors one configuration can hold at most: within the open-file limit of each server and
 * load process, and within the ephemeral ports towards the one server port.
 */
function socketCap(processes: number, viewers: number, loadProcesses: number): { editors: number; fds: number; ports: number; by: string } {
  const fds = openFilesLimit().soft;
  const ports = ephemeralPorts();
  const perServer = fds - SERVER_FD_RESERVE - MAX_HEARTBEAT_SOCKETS * loadProcesses;
  // Round-robin over workers is not perfectly even: keep 5 % of headroom with several.
  const serverSockets = processes === 1 ? perServer : Math.floor(perServer * processes * 0.95);
  const loadSockets = loadProcesses * (fds - SERVER_FD_RESERVE - MAX_HEARTBEAT_SOCKETS);
  const portSockets = ports - 1_000 - MAX_HEARTBEAT_SOCKETS * loadProcesses;
  const limits: [number, string][] = [
    [serverSockets, `open-file limit (${fds}) of ${processes === 1 ? "the server process" : "the server processes"}`],
    [loadSockets, `open-file limit (${fds}) of ${loadProcesses} load processes`],
    [portSockets, `${ports} ephemeral ports towards one server port`],
  ];
  const [sockets, by] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
  return { editors: Math.floor(sockets / (1 + viewers)), fds, ports, by };
}

/** The profile's steps up to the cap, and the cap itself when the next step would pass it. */
function stepsWithin(steps: readonly number[], cap: number): number[] {
  const within = steps.filter((n) => n <= cap);
  if (within.length < steps.length && within[within.length - 1] !== cap) within.push(cap);
  return within;
}

/**
 * Benchmark 4: N editors (lock held, heartbeat every TTL/3 like the renderer, own WebSocket in
 * the room) plus `viewersPerDocument` viewer WebSockets per document, stepped up until
 * heartbeat p99 reaches the limit, a lock is lost, or the open-file limit caps N. On one server
 * process, on WORKERS=2, and on the bare reference server (one process).
 */
export async function editorsBench(ctx: BenchContext): Promise<Row[]> {
  const p = ctx.profile.editors;
  const maxEditors = Math.max(...p.steps);
  const fixture = await buildFixture(inRun(ctx, "editors.db"), {
    documents: maxEditors,
    editors: Math.min(50, maxEditors),
    viewers: Math.min(50, maxEditors * p.viewersPerDocument),
  });
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
  };
  try {
    const lockstep = async (workers: number): Promise<Outcome> => {
      try {
        const server = await startLockstep(ctx, { name: `editors-lockstep-w${workers}`, databasePath: fixture.databasePath, workers, ttlMs: p.ttlMs });
        started.push(server);
        return await stepUp(ctx, fixture, { name: `lockstep w${workers}`, url: server.url, wsPath: REALTIME_PATH, processes: workers, server });
      } finally {
        await stopAll();
      }
    };
    const bare = async (): Promise<Outcome> => {
      try {
        const ref = await startWorker<BareServerApi>(ctx, "editors-bare", "bare-server");
        started.push(ref.handle);
        const url = (await ref.rpc.call("start", { redisUrl: ctx.redis.url, ttlMs: p.ttlMs }, 10_000)).url;
        return await stepUp(ctx, fixture, { name: "bare", url, wsPath: "/", processes: 1, server: ref.handle });
      } finally {
        await stopAll();
      }
    };
    const one = await lockstep(1);
    const two = await lockstep(2);
    const reference = await bare();

    const perThousand = (o: Outcome): number | null =>
      o.largest && o.largest.sockets > 0 ? (o.largest.rssBytes - o.idleRssBytes) / 2 ** 20 / (o.largest.sockets / 1000) : null;
    const rssNote = (o: Outcome): string =>
      `idle ${formatNumber(o.idleRssBytes / 2 ** 20)} MiB, ${formatNumber((o.largest?.rssBytes ?? 0) / 2 ** 20)} MiB with ${o.largest?.sockets ?? 0} sockets`;
    const note = (o: Outcome): string =>
      o.bestStep
        ? `heartbeat p99 ${formatNumber(o.bestStep.p99)} ms, ${o.bestStep.sockets} sockets, CPU ${formatNumber(o.bestStep.cpuPercent)}%; stopped: ${o.limitedBy}`
        : `stopped: ${o.limitedBy}`;
    const how = `TTL ${p.ttlMs / 1000} s, heartbeat every ${p.ttlMs / 3000} s, ${p.viewersPerDocument} viewers/doc, p99 < ${p.p99LimitMs} ms, no lock lost`;
    const ref = { value: reference.best, unit: "editors", label: "bare server, 1 process", note: note(reference) };
    const goal = { min: GOAL_EDITORS, text: `≥ ${GOAL_EDITORS.toLocaleString("en-US")} editors` };
    return [
      limitRow({ id: "4a", title: `Open editors, 1 server process (${how})`, lockstep: { value: one.best, unit: "editors", note: note(one) }, reference: ref, better: "higher" }, goal),
      limitRow({ id: "4b", title: "Open editors, WORKERS=2 behind one Redis", lockstep: { value: two.best, unit: "editors", note: note(two) }, reference: ref, better: "higher" }, goal),
      ratioRow({
        id: "4c",
        title: "Server RSS per 1,000 WebSocket connections (RSS at the largest fully connected step minus idle RSS; 1 process)",
        lockstep: { value: perThousand(one), unit: "MiB", note: rssNote(one) },
        reference: { value: perThousand(reference), unit: "MiB", label: "bare server", note: rssNote(reference) },
        better: "lower",
      }),
    ];
  } finally {
    await stopAll();
  }
}

async function stepUp(ctx: BenchContext, fixture: Fixture, target: Target): Promise<Outcome> {
  const p = ctx.profile.editors;
  const t0 = Date.now();
  const cap = socketCap(target.processes, p.viewersPerDocument, p.loadProcesses);
  const steps = stepsWithin(p.steps, cap.editors);
  const loads: { rpc: RpcClient<EditorsLoadApi>; stop(): Promise<void> }[] = [];
  const run = randomUUID().slice(0, 6);
  try {
    for (let i = 0; i < p.loadProcesses; i++) {
      const w = await startWorker<EditorsLoadApi>(ctx, `editors-load-${target.name.replace(/\s/g, "-")}-${i}`, "editors-load");
      loads.push({ rpc: w.rpc, stop: w.handle.stop });
      await w.rpc.call(
        "init",
        {
          baseUrl: target.url,
          wsUrl: `${target.url.replace(/^http/, "ws")}${target.wsPath}`,
          heartbeatMs: Math.round(p.ttlMs / 3),
          maxSockets: MAX_HEARTBEAT_SOCKETS,
        },
        10_000,
      );
    }
    await sleep(Math.min(500, p.settleMs));
    const idleRssBytes = target.server.rssBytes();
    let best = 0;
    let bestStep: StepResult | undefined;
    let largest: StepResult | undefined;
    let limitedBy = steps.length === 0 ? `no step fits the ${cap.by}` : `reached the last step`;
    let have = 0;
    for (const n of steps) {
      if (Date.now() - t0 > CONFIG_TIME_BUDGET_MS) {
        limitedBy = `time budget (${CONFIG_TIME_BUDGET_MS / 1000} s) before N=${n}`;
        break;
      }
      const specs: EditorSpec[][] = loads.map(() => []);
      for (let i = have; i < n; i++) {
        const documentId = fixture.documents[i] as string;
        specs[i % loads.length]?.push({
          documentId,
          room: documentRoom(documentId),
          editorToken: fixture.editors[i % fixture.editors.length]?.token as string,
          clientId: `ed-${run}-${i}`,
          viewerTokens: Array.from({ length: p.viewersPerDocument }, (_, k) => fixture.viewers[(i * p.viewersPerDocument + k) % fixture.viewers.length]?.token as string),
        });
      }
      const grown = await Promise.all(loads.map((l, i) => l.rpc.call("grow", { editors: specs[i] ?? [], parallel: SETUP_PARALLEL }, 180_000)));
      have = n;
      await sleep(p.settleMs);
      const failedAdds = grown.reduce((a, g) => a + g.failed, 0);
      const measureWindow = async (): Promise<StepResult> => {
        const cpu0 = target.server.cpuSeconds();
        const w0 = Date.now();
        const windows = await Promise.all(loads.map((l) => l.rpc.call("window", { ms: p.windowMs }, p.windowMs + 30_000)));
        const cpuPercent = ((target.server.cpuSeconds() - cpu0) / ((Date.now() - w0) / 1000)) * 100;
        const s = summarize(windows.flatMap((w) => w.samples));
        const step: StepResult = {
          editors: n,
          sockets: windows.reduce((a, w) => a + w.sockets, 0),
          p50: s.p50,
          p99: s.p99,
          heartbeats: s.count,
          lost: windows.reduce((a, w) => a + w.counters.lost, 0),
          errors: windows.reduce((a, w) => a + w.counters.errors + w.counters.unexpectedCloses, 0) + failedAdds,
          rssBytes: target.server.rssBytes(),
          cpuPercent,
          connectMs: Math.max(...grown.map((g) => g.ms)),
          problems: windows.flatMap((w) => w.problems).slice(0, 5),
        };
        ctx.log(
          `  4 ${target.name} N=${n}: heartbeat p50 ${formatNumber(step.p50)} ms, p99 ${formatNumber(step.p99)} ms (${step.heartbeats} beats), ` +
            `lost ${step.lost}, errors ${step.errors}, ${step.sockets} sockets, server RSS ${formatNumber(step.rssBytes / 2 ** 20)} MiB, ` +
            `server CPU ${formatNumber(cpuPercent)}%, set-up ${formatNumber(step.connectMs / 1000)} s${step.problems.length ? `; ${step.problems.join(" | ")}` : ""}`,
        );
        return step;
      };
      let step = await measureWindow();
      // The machine is shared: one slow window (another process's burst, a GC) is measured
      // again once before the step counts as failed. Lost locks and errors are never retried.
      if (step.p99 >= p.p99LimitMs && step.lost === 0 && step.errors === 0) step = await measureWindow();
      if (step.sockets === n * (1 + p.viewersPerDocument)) largest = step;
      const failures = [
        ...(step.heartbeats === 0 ? ["no heartbeat answered"] : []),
        ...(step.p99 >= p.p99LimitMs ? [`heartbeat p99 ${formatNumber(step.p99)} ms at N=${n}`] : []),
        ...(step.lost > 0 ? [`${step.lost} locks lost at N=${n}`] : []),
        ...(step.errors > 0 ? [`${step.errors} errors at N=${n}`] : []),
      ];
      if (failures.length > 0) {
        limitedBy = failures.join(", ");
        break;
      }
      best = n;
      bestStep = step;
      if (n === cap.editors && n < Math.max(...p.steps)) {
        limitedBy = `${cap.by} caps N at ${cap.editors}`;
      }
    }
    return { best, bestStep, largest, idleRssBytes, limitedBy };
  } finally {
    await Promise.all(loads.map((l) => l.rpc.call("stop", {}, 10_000).catch(() => undefined)));
    await Promise.all(loads.map((l) => l.stop()));
  }
}
