import { readFileSync, readdirSync } from "node:fs";

/** Linux /proc readings of the processes the bench starts (RSS, CPU time). */

function stat(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) is in parentheses and may contain spaces: split after its closing one.
    return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The processes of a process group (a server started with its own group, and its workers). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(Number(entry));
    // After comm: state(0) ppid(1) pgrp(2).
    if (fields && Number(fields[2]) === pgid) pids.push(Number(entry));
  }
  return pids;
}

/** Resident set size in bytes, summed over `pids` (0 for a pid that is gone). */
export function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds, summed over `pids`. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = stat(pid);
    // utime(11) stime(12) counted from state(0).
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Open file descriptor limit (soft) of this process, from /proc/self/limits. */
export function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  const n = (v: string | undefined): number => (v === undefined || v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/** Busy share (0..1) of all cores over `ms`, from /proc/stat: everything running, not only ours. */
export async function machineBusy(ms: number): Promise<number> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : Number.NaN;
}

/** CPU ticks of the whole machine (all cores): busy and total, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * CPU seconds of this process and of everything it started: its own time, its reaped
 * children's (cutime/cstime, which include their reaped descendants), and the processes of
 * `live` (still running: with their own reaped children).
 */
export function ourCpuSeconds(live: readonly number[]): number {
  let ticks = 0;
  for (const pid of [process.pid, ...live]) {
    const f = stat(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS_PER_SECOND;
}
