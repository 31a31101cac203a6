import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { inRun, type BenchContext } from "./context.js";
import { LOOPBACK, freePort, waitFor } from "./net.js";
import { cpuSeconds, groupPids, rssBytes } from "./proc-stats.js";
import { RpcClient, type Handlers } from "./rpc.js";

/** A server process the bench started, with its workers (one process group). */
export interface ServerHandle {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The primary and its workers. */
  pids(): number[];
  rssBytes(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface LockstepOptions {
  readonly name: string;
  readonly databasePath: string;
  readonly workers?: number;
  /** Use the bench's Redis (default); false: the memory store. */
  readonly redis?: boolean;
  readonly ttlMs?: number;
  readonly logLevel?: string;
}

const nodeArgs = (ctx: BenchContext, label: string): string[] =>
  ctx.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ctx.cpuProfDir, label)}`] : [];

/**
 * Starts server/main.ts as production runs it: NODE_ENV=production, info logging (to a file),
 * in its own process group. One worker: ready when it says so over IPC. Several: on a fixed
 * port, ready when every worker has logged that it listens.
 */
export async function startLockstep(ctx: BenchContext, options: LockstepOptions): Promise<ServerHandle> {
  const workers = options.workers ?? 1;
  const port = workers > 1 ? await freePort() : 0;
  const logFile = inRun(ctx, `${options.name}.log`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: LOOPBACK,
    PORT: String(port),
    DATABASE_PATH: options.databasePath,
    LOG_LEVEL: options.logLevel ?? "info",
    WORKERS: String(workers),
    ...(options.ttlMs ? { LOCK_TTL_MS: String(options.ttlMs) } : {}),
  };
  if (options.redis === false) {
    delete env.REDIS_URL;
  } else {
    env.REDIS_URL = ctx.redis.url;
    // Its own keys: locks a previous server left behind (TTL not run out, expiry not yet
    // announced) must not show up as this server's expiries.
    env.REDIS_KEY_PREFIX = `bench-${randomUUID().slice(0, 8)}:`;
  }
  const child = ctx.procs.spawn({
    command: process.execPath,
    args: [...nodeArgs(ctx, options.name), ...ctx.server.args],
    cwd: ctx.root,
    env,
    logFile,
    ipc: true,
    group: true,
  });
  const handle = (url: string): ServerHandle => ({
    name: options.name,
    url,
    port: Number(new URL(url).port),
    child,
    logFile,
    pids: () => (child.pid ? groupPids(child.pid) : []),
    rssBytes() {
      return rssBytes(this.pids());
    },
    cpuSeconds() {
      return cpuSeconds(this.pids());
    },
    stop: () => ctx.procs.stop(child),
  });
  try {
    if (workers === 1) {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${options.name} did not become ready in 30 s (see ${logFile})`)), 30_000);
        child.on("message", (m: { type?: string; url?: string; message?: string }) => {
          if (m.type === "ready" && m.url) {
            clearTimeout(timer);
            resolve(m.url);
          } else if (m.type === "fatal") {
            clearTimeout(timer);
            reject(new Error(`${options.name}: ${m.message}`));
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`${options.name} exited with ${code} (see ${logFile})`));
        });
      });
      return handle(url);
    }
    await waitFor(`${workers} workers of ${options.name} (see ${logFile})`, 30_000, () => {
      if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} (see ${logFile})`);
      const log = readFileSync(logFile, "utf8");
      return (log.match(/lockstep listening on/g)?.length ?? 0) >= workers ? true : undefined;
    }, 50);
    return handle(`http://${LOOPBACK}:${port}`);
  } catch (err) {
    await ctx.procs.stop(child);
    throw err;
  }
}

/** Starts bench/workers/<script>.ts under tsx with an IPC channel and waits until it serves. */
export async function startWorker<H extends Handlers>(
  ctx: BenchContext,
  name: string,
  script: string,
  options: { env?: NodeJS.ProcessEnv; profile?: boolean } = {},
): Promise<{ rpc: RpcClient<H>; handle: Omit<ServerHandle, "url" | "port"> }> {
  const logFile = inRun(ctx, `${name}.log`);
  const child = ctx.procs.spawn({
    command: process.execPath,
    args: [...(options.profile ? nodeArgs(ctx, name) : []), "--import", "tsx", path.join(ctx.root, "bench", "workers", `${script}.ts`)],
    cwd: ctx.root,
    env: { ...process.env, NODE_ENV: "production", ...options.env },
    logFile,
    ipc: true,
    group: true,
  });
  const rpc = new RpcClient<H>(child, name);
  try {
    await rpc.ready;
  } catch (err) {
    await ctx.procs.stop(child);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (see ${logFile})`);
  }
  return {
    rpc,
    handle: {
      name,
      child,
      logFile,
      pids: () => (child.pid ? groupPids(child.pid) : []),
      rssBytes: () => rssBytes(child.pid ? groupPids(child.pid) : []),
      cpuSeconds: () => cpuSeconds(child.pid ? groupPids(child.pid) : []),
      stop: () => ctx.procs.stop(child),
    },
  };
}
