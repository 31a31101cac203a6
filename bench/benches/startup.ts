import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { inRun, type BenchContext } from "../lib/context.js";
import { LOOPBACK } from "../lib/net.js";
import { median } from "../lib/stats.js";
import { formatNumber, limitRow, notMeasured, type Row } from "../lib/table.js";

const COLD_START_GOAL_MS = 500;
/** First-paint JavaScript budget, gzipped, in kB (1 kB = 1,000 bytes, as Vite reports). */
const BUNDLE_BUDGET_KB = 350;

/**
 * Forks `args` with an IPC channel and returns the ms until its first `{type:"ready"}` message;
 * then stops it (SIGTERM) and waits for its exit.
 */
async function timeToReady(ctx: BenchContext, args: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  const t0 = performance.now();
  const child = ctx.procs.spawn({ command: process.execPath, args, cwd: ctx.root, env, logFile: log, ipc: true, group: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready message within 20 s (see ${log})`)), 20_000);
      child.on("message", (m: { type?: string; message?: string }) => {
        if (m.type === "ready") {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        } else if (m.type === "fatal") {
          clearTimeout(timer);
          reject(new Error(String(m.message)));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before ready (see ${log})`));
      });
    });
  } finally {
    await ctx.procs.stop(child);
  }
}

/**
 * Benchmark 5a/5b: the embedded server's cold start, fork to its "ready" message, with the
 * memory lock store and a new SQLite file, from the esbuild bundle (what the desktop app
 * runs) and from the TypeScript sources under tsx; against `node -e` sending "ready" at once.
 * Rounds alternate the three; figures are medians.
 */
async function coldStart(ctx: BenchContext): Promise<Row[]> {
  const runs = ctx.profile.startup.runs;
  const env = (db: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", HOST: LOOPBACK, PORT: "0", DATABASE_PATH: db, LOG_LEVEL: "info", WORKERS: "1" };
    delete e.REDIS_URL;
    return e;
  };
  const tsxArgs = ["--import", "tsx", path.join(ctx.root, "server", "main.ts")];
  const contenders: Record<string, readonly string[] | undefined> = {
    node: ["-e", "process.send({ type: 'ready' }, () => process.disconnect())"],
    bundle: ctx.server.kind === "bundle" ? ctx.server.args : undefined,
    tsx: tsxArgs,
  };
  const times: Record<string, number[]> = { node: [], bundle: [], tsx: [] };
  // With several runs, round 0 warms the file system cache and is not counted.
  const warmup = runs > 1 ? 1 : 0;
  for (let round = 0; round < runs + warmup; round++) {
    for (const [name, args] of Object.entries(contenders)) {
      if (!args) continue;
      const db = inRun(ctx, `startup-${name}-${round}.db`);
      const ms = await timeToReady(ctx, args, env(db), inRun(ctx, `startup-${name}.log`));
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${db}${suffix}`, { force: true });
      if (round >= warmup) times[name]?.push(ms);
    }
  }
  const ref = { value: median(times.node ?? []), unit: "ms", label: "bare node -e" };
  const goal = { max: COLD_START_GOAL_MS, text: `≤ ${COLD_START_GOAL_MS} ms` };
  const title = (what: string) => `Embedded server cold start to ready, ${what} (memory store, new SQLite file; median of ${runs})`;
  const bundleRow =
    contenders.bundle !== undefined
      ? limitRow({ id: "5a", title: title("esbuild bundle of scripts/build-server.mjs"), lockstep: { value: median(times.bundle ?? []), unit: "ms" }, reference: ref, better: "lower" }, goal)
      : notMeasured({ id: "5a", title: title("esbuild bundle"), better: "lower", goal: goal.text }, "ms", ctx.server.note ?? "the server bundle did not build");
  return [
    bundleRow,
    limitRow({ id: "5b", title: title("TypeScript sources under tsx"), lockstep: { value: median(times.tsx ?? []), unit: "ms" }, reference: ref, better: "lower" }, goal),
  ];
}

/** JavaScript that index.html loads before first paint: module scripts and modulepreloads. */
function firstPaintScripts(html: string): string[] {
  const urls: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const attr = (name: string): string | undefined => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, "i").exec(tag)?.[1];
    if (/^<script/i.test(tag) && attr("src")) urls.push(attr("src") as string);
    if (/^<link/i.test(tag) && attr("rel") === "modulepreload" && attr("href")) urls.push(attr("href") as string);
  }
  return urls.filter((u) => !/^[a-z]+:\/\//i.test(u));
}

/**
 * Benchmark 5c: the renderer's first-paint JavaScript, gzipped, against the 350 kB budget.
 * Builds with the project's vite.config.ts into the bench's own folder (dist/renderer is left
 * alone); lazy chunks (dynamic imports) and workers are not counted.
 */
async function rendererSize(ctx: BenchContext): Promise<Row> {
  const base = { id: "5c", title: `Renderer first-paint JS, gzipped (vite build; entry + modulepreloads, not lazy chunks)`, better: "lower" as const, goal: `≤ ${BUNDLE_BUDGET_KB} kB` };
  const outDir = path.join(ctx.root, "bench", ".out", `renderer-${ctx.profile.name}`);
  try {
    await promisify(execFile)(process.execPath, [path.join(ctx.root, "node_modules", "vite", "bin", "vite.js"), "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"], {
      cwd: ctx.root,
      timeout: 180_000,
      maxBuffer: 16 * 2 ** 20,
    });
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    const why = (e.stderr || e.message || String(err)).trim().split("\n").find((l) => l.trim() !== "") ?? "vite build failed";
    return notMeasured(base, "kB", `vite build failed: ${why.slice(0, 200)}`);
  }
  const indexHtml = path.join(outDir, "index.html");
  if (!existsSync(indexHtml)) return notMeasured(base, "kB", "vite build wrote no index.html");
  const scripts = firstPaintScripts(readFileSync(indexHtml, "utf8"));
  let raw = 0;
  let gz = 0;
  for (const src of scripts) {
    const bytes = readFileSync(path.join(outDir, src));
    raw += bytes.length;
    gz += gzipSync(bytes).length;
  }
  ctx.log(`  5 renderer: ${scripts.join(", ")}: ${formatNumber(raw / 1000)} kB, ${formatNumber(gz / 1000)} kB gzipped`);
  if (scripts.length === 0) return notMeasured(base, "kB", "index.html references no script");
  return limitRow(
    {
      ...base,
      lockstep: { value: gz / 1000, unit: "kB", note: `${scripts.length} file${scripts.length > 1 ? "s" : ""}, ${formatNumber(raw / 1000)} kB before gzip` },
      reference: { value: BUNDLE_BUDGET_KB, unit: "kB", label: "budget" },
    },
    { max: BUNDLE_BUDGET_KB, text: base.goal },
  );
}

export async function startupBench(ctx: BenchContext): Promise<Row[]> {
  return [...(await coldStart(ctx)), await rendererSize(ctx)];
}
