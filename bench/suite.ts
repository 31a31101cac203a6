import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { lockStoreBench } from "./benches/lock-store.js";
import { editorsBench } from "./benches/editors.js";
import { fanoutBench } from "./benches/fanout.js";
import { restBench } from "./benches/rest.js";
import { startupBench } from "./benches/startup.js";
import { PROFILES, type BenchContext, type Profile, type ServerEntry } from "./lib/context.js";
import { ProcessGroup } from "./lib/processes.js";
import { groupPids, machineBusy, machineTicks, openFilesLimit, ourCpuSeconds } from "./lib/proc-stats.js";
import { startRedis } from "./lib/redis.js";
import { notMeasured, renderTable, ROW_IDS, type Row } from "./lib/table.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface SuiteOptions {
  readonly profile: Profile["name"];
  /** Run only these benchmarks (1-5); the others' rows are "not measured". */
  readonly only?: readonly number[];
  /** Write V8 CPU profiles of the server processes into the run folder. */
  readonly cpuProf?: boolean;
  /** Keep the run folder (logs, databases, profiles). */
  readonly keep?: boolean;
  /** Run the server from its TypeScript sources (tsx) instead of the bundle: readable profiles. */
  readonly serverFromSources?: boolean;
  /**
   * Another server entry (a .ts run under tsx, or a bundled .js) instead of server/main.ts:
   * to measure a candidate fix side by side before it is applied.
   */
  readonly serverEntry?: string;
  readonly log?: (message: string) => void;
}

export interface SuiteResult {
  readonly rows: Row[];
  readonly table: string;
  readonly machine: string;
  /** Share of the machine's CPU busy with other work just before the run (0..1). */
  readonly backgroundLoad: number;
  /** Per benchmark: share of the machine's CPU used by processes not of this run (0..1). */
  readonly othersLoad: Readonly<Record<number, number>>;
  readonly runDir: string;
  readonly seconds: number;
}

type Bench = (ctx: BenchContext) => Promise<Row[]>;

/** The benchmarks, numbered as in the table, with the rows each one produces. */
const BENCHES: readonly { n: number; rows: readonly string[]; run: Bench }[] = [
  { n: 1, rows: ["1a", "1b", "1c"], run: lockStoreBench },
  { n: 2, rows: ["2a", "2b"], run: restBench },
  { n: 3, rows: ["3a", "3b"], run: fanoutBench },
  { n: 4, rows: ["4a", "4b", "4c"], run: editorsBench },
  { n: 5, rows: ["5a", "5b", "5c"], run: startupBench },
];

/** Bundles server/main.ts with the project's own build script into the run folder. */
async function prepareServerEntry(options: SuiteOptions, log: (m: string) => void): Promise<ServerEntry> {
  const tsx = ["--import", "tsx", path.join(ROOT, "server", "main.ts")];
  if (options.serverEntry) {
    const entry = path.resolve(options.serverEntry);
    return entry.endsWith(".ts")
      ? { kind: "tsx", args: ["--import", "tsx", entry], note: `--server-entry ${entry}` }
      : { kind: "bundle", args: [entry], note: `--server-entry ${entry}` };
  }
  if (options.serverFromSources) return { kind: "tsx", args: tsx, note: "--server-from-sources" };
  // Per profile: the smoke test (npm test) may run while `npm run bench` does.
  const outdir = path.join(ROOT, "bench", ".out", `server-${options.profile}`);
  try {
    await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", "const m = await import('./scripts/build-server.mjs'); await m.buildServer({ outdir: process.argv[1] });", outdir],
      { cwd: ROOT, timeout: 120_000 },
    );
    return { kind: "bundle", args: [path.join(outdir, "main.js")] };
  } catch (err) {
    const note = `server bundle did not build (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); using tsx`;
    log(note);
    return { kind: "tsx", args: tsx, note };
  }
}

export function describeMachine(): string {
  const fds = openFilesLimit();
  return [
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "unknown CPU"})`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `Node ${process.version}`,
    `${os.type()} ${os.release()}`,
    `open files ${fds.soft} (hard ${fds.hard})`,
  ].join(", ");
}

/**
 * Runs the benchmarks and returns their rows and the Markdown table. Starts its own Redis and
 * servers; everything it starts is stopped before it returns, also when a benchmark fails
 * (that benchmark's rows are then "not measured" with the error).
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = Date.now();
  const log = options.log ?? ((m: string) => console.error(m));
  const profile = PROFILES[options.profile];
  mkdirSync(path.join(ROOT, "bench", ".out"), { recursive: true });
  const runDir = mkdtempSync(path.join(os.tmpdir(), `lockstep-bench-${profile.name}-`));
  const procs = new ProcessGroup();
  const rows: Row[] = [];
  // The machine is shared: what already runs on it is part of the context of every figure.
  const backgroundLoad = await machineBusy(profile.name === "full" ? 2_000 : 200);
  const othersLoad: Record<number, number> = {};
  try {
    const server = await prepareServerEntry(options, log);
    const redis = await startRedis(procs, path.join(runDir, "redis.log"));
    const cpuProfDir = options.cpuProf ? path.join(runDir, "profiles") : undefined;
    if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
    const ctx: BenchContext = { profile, procs, redis, root: ROOT, runDir, server, cpuProfDir, log };
    log(`bench (${profile.name}): ${describeMachine()}; ${formatLoad(backgroundLoad)}; server from ${server.kind}${server.note ? ` (${server.note})` : ""}; scratch ${runDir}`);
    const runOne = async (bench: (typeof BENCHES)[number]): Promise<Row[]> => {
      const t0 = Date.now();
      const machine0 = machineTicks();
      const ours0 = ourCpuSeconds(procs.livePids(groupPids));
      log(`benchmark ${bench.n}…`);
      try {
        return await bench.run(ctx);
      } catch (err) {
        const reason = err instanceof Error ? (err.message.split("\n")[0] ?? err.message) : String(err);
        log(`benchmark ${bench.n} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return bench.rows.map((id) => notMeasured({ id, title: `benchmark ${bench.n}`, better: "higher", goal: "—" }, "", `failed: ${reason}`));
      } finally {
        const machine = machineTicks();
        const ours = ourCpuSeconds(procs.livePids(groupPids)) - ours0;
        const busySeconds = (machine.busy - machine0.busy) / 100;
        const capacity = ((machine.total - machine0.total) / 100) || Number.NaN;
        othersLoad[bench.n] = Math.max(0, (busySeconds - ours) / capacity);
        log(
          `benchmark ${bench.n} took ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
            `other processes used ${Math.round((othersLoad[bench.n] ?? 0) * 100)}% of the machine's CPU meanwhile`,
        );
      }
    };
    const selected = BENCHES.filter((b) => !options.only || options.only.includes(b.n));
    if (profile.concurrent) {
      for (const r of await Promise.all(selected.map(runOne))) rows.push(...r);
    } else {
      for (const bench of selected) rows.push(...(await runOne(bench)));
    }
  } finally {
    await procs.close();
    if (!options.keep && !options.cpuProf) rmSync(runDir, { recursive: true, force: true });
  }
  const order = (id: string): number => (ROW_IDS as readonly string[]).indexOf(id);
  rows.sort((a, b) => order(a.id) - order(b.id));
  return { rows, table: renderTable(rows), machine: describeMachine(), backgroundLoad, othersLoad, runDir, seconds: (Date.now() - started) / 1000 };
}

export const formatLoad = (load: number): string =>
  `CPU already busy before the run: ${Math.round(load * 100)}% of ${os.cpus().length} cores`;
