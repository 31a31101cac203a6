import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** stdout and stderr go to this file (appended); ignored when absent. */
  readonly logFile?: string;
  /** An IPC channel (process.send / 'message'). */
  readonly ipc?: boolean;
  /**
   * Its own process group: stop() signals the whole group, so a cluster primary's workers go
   * with it even when the primary does not forward the signal.
   */
  readonly group?: boolean;
}

/**
 * Every child the bench starts. stopAll() ends them (SIGTERM, then SIGKILL after a grace
 * period); a process `exit` hook SIGKILLs whatever is still running if the bench dies early,
 * so no Redis or server outlives a failed run.
 */
export class ProcessGroup {
  private readonly children = new Map<ChildProcess, { group: boolean }>();
  private readonly onExit = (): void => {
    for (const [child, { group }] of this.children) signal(child, group, "SIGKILL");
  };

  constructor() {
    process.on("exit", this.onExit);
  }

  spawn(request: SpawnRequest): ChildProcess {
    const fd = request.logFile ? openSync(request.logFile, "a") : undefined;
    const out = fd ?? "ignore";
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      env: request.env ?? process.env,
      stdio: request.ipc ? ["ignore", out, out, "ipc"] : ["ignore", out, out],
      detached: request.group ?? false,
    });
    if (fd !== undefined) closeSync(fd);
    const group = request.group ?? false;
    this.children.set(child, { group });
    child.once("exit", () => this.children.delete(child));
    // A spawn failure (ENOENT) arrives as 'error'; exit() reports it to whoever waits.
    child.on("error", () => this.children.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
    const group = this.children.get(child)?.group ?? false;
    if (!isRunning(child)) {
      // A cluster primary may be gone while its workers still run.
      if (group) signal(child, true, "SIGKILL");
      return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signal(child, group, "SIGTERM");
    const timer = setTimeout(() => signal(child, group, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
    if (group) signal(child, true, "SIGKILL");
    this.children.delete(child);
  }

  /** Pids of the children still running, with the members of their process groups. */
  livePids(members: (pgid: number) => number[]): number[] {
    const pids = new Set<number>();
    for (const [child, { group }] of this.children) {
      if (!isRunning(child) || child.pid === undefined) continue;
      pids.add(child.pid);
      if (group) for (const pid of members(child.pid)) pids.add(pid);
    }
    return [...pids];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((c) => this.stop(c)));
  }

  /** Stops everything and removes the exit hook. */
  async close(): Promise<void> {
    await this.stopAll();
    process.off("exit", this.onExit);
  }
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

function signal(child: ChildProcess, group: boolean, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (group) process.kill(-child.pid, sig);
    else if (isRunning(child)) child.kill(sig);
  } catch {
    // Already gone.
  }
}

/** Resolves with the child's exit, or rejects when it does not exit within `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (!isRunning(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
