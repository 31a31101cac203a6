import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.js";

const TSX = ["--import", "tsx"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs server/main.ts (what `npm run server` runs) with an environment; collects output. */
function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...TSX, "server/main.ts"], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

describe("npm run server (server/main.ts)", () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-cli-"));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses WORKERS>1 without REDIS_URL with one readable line", async () => {
    const run = startMain({ WORKERS: "2", PORT: "0" });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/WORKERS=2 needs REDIS_URL/);
    expect(run.output()).not.toMatch(/^\s+at /m);
  });

  it("refuses a bad setting by its variable name", async () => {
    const run = startMain({ PORT: "not-a-port" });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PORT:/);
  });

  it("logs where it listens and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const run = startMain({ PORT: String(port), DATABASE_PATH: path.join(dir, "one.db") });
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    expect(run.output()).toContain(`lockstep listening on http://127.0.0.1:${port}`);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  it("WORKERS=2 on Redis: two processes answer on one port, and both stop on SIGTERM", async () => {
    const port = await freePort();
    const run = startMain({ PORT: String(port), WORKERS: "2", REDIS_URL: redis.url, DATABASE_PATH: path.join(dir, "two.db") });
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    const pids = new Set<number>();
    const deadline = Date.now() + 10_000;
    while (pids.size < 2 && Date.now() < deadline) {
      // A new connection each time: the cluster spreads connections over the workers.
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: "close" } });
      pids.add(((await res.json()) as { pid: number }).pid);
    }
    expect(pids.size).toBe(2);
    run.child.kill("SIGTERM");
    await run.exited;
  });
});

describe("npm run admin (server/admin.ts)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "lockstep-admin-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const admin = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [...TSX, "server/admin.ts", ...args], {
      env: { ...process.env, DATABASE_PATH: path.join(dir, "admin.db"), ...env },
      encoding: "utf8",
    });

  it("creates users and applications and sets roles; bad input gets a readable line and exit 2", () => {
    expect(admin(["create-user", "--username", "alice", "--display-name", "Alice"], { LOCKSTEP_PASSWORD: "correct-horse" }).stdout).toMatch(/created user alice/);
    expect(admin(["create-user", "--username", "bob"], { LOCKSTEP_PASSWORD: "correct-horse" }).status).toBe(0);
    expect(admin(["create-application", "--name", "Acme", "--owner", "alice"]).stdout).toMatch(/created application "Acme"/);
    expect(admin(["set-member", "--application", "Acme", "--username", "bob", "--role", "editor"]).stdout).toMatch(/bob is editor of "Acme"/);
    expect(admin(["list-applications"]).stdout).toMatch(/Acme\t.*alice:owner, bob:editor/);

    const dup = admin(["create-user", "--username", "alice"], { LOCKSTEP_PASSWORD: "correct-horse" });
    expect([dup.status, dup.stderr.trim()]).toEqual([2, 'lockstep admin: User "alice" exists already.']);
    const weak = admin(["create-user", "--username", "carol"], { LOCKSTEP_PASSWORD: "short" });
    expect([weak.status, weak.stderr]).toEqual([2, expect.stringMatching(/password .*at least 8/)]);
    const role = admin(["set-member", "--application", "Acme", "--username", "bob", "--role", "boss"]);
    expect([role.status, role.stderr]).toEqual([2, expect.stringMatching(/--role:/)]);
    const unknown = admin(["frobnicate"]);
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringMatching(/Unknown command "frobnicate"/)]);
    const flag = admin(["list-users", "--nope"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr).not.toMatch(/^\s+at /m);
  });
});
