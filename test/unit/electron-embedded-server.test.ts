import { fork } from "node:child_process";
import { EventEmitter } from "node:events";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { UtilityProcess } from "electron";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEmbeddedServer,
  serverStatusText,
  ServerStartError,
  type EmbeddedServer,
  type EmbeddedServerOptions,
  type ServerStatus,
} from "../../src-main/embedded-server.js";
import { appPaths, buildServerEnv, unpackedPath } from "../../src-main/server-env.js";
import { nodeForkServer, utilityForkServer } from "../../src-main/server-process.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/fake-server.mjs", import.meta.url));
const nodeFork = nodeForkServer(fork, { output: "ignore" });

const servers: EmbeddedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function buildServer(overrides: Partial<EmbeddedServerOptions> & { mode?: string } = {}) {
  const statuses: ServerStatus[] = [];
  const { mode = "ok", ...rest } = overrides;
  const server = createEmbeddedServer({
    fork: nodeFork,
    modulePath: FIXTURE,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", DATABASE_PATH: "/tmp/lockstep-test.sqlite", FAKE_SERVER_MODE: mode },
    readyTimeoutMs: 5_000,
    stopTimeoutMs: 2_000,
    restartPolicy: { initialDelayMs: 20, maxDelayMs: 100 },
    onStatus: (s) => statuses.push(s),
    ...rest,
  });
  servers.push(server);
  return { server, statuses, states: () => statuses.map((s) => s.state) };
}

async function getJson(url: string): Promise<{ pid: number; env: Record<string, string> }> {
  const res = await fetch(url);
  return (await res.json()) as { pid: number; env: Record<string, string> };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const address = blocker.address() as net.AddressInfo;
  return { port: address.port, close: () => new Promise((resolve) => blocker.close(() => resolve())) };
}

describe("embedded server lifecycle (child_process.fork of a fixture)", () => {
  it("starts on a free loopback port, passes its environment, and reports ready", async () => {
    const { server, states } = buildServer();
    const url = await server.start();

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(url);
    expect(server.port).toBe(Number(new URL(url).port));
    expect(states()).toEqual(["starting", "ready"]);
    const body = await getJson(url);
    expect(body.pid).toBe(server.pid);
    expect(body.env).toMatchObject({ HOST: "127.0.0.1", DATABASE_PATH: "/tmp/lockstep-test.sqlite" });
  });

  it("joins a start in progress instead of forking a second process", async () => {
    const { server } = buildServer();
    const [a, b] = await Promise.all([server.start(), server.start()]);
    expect(a).toBe(b);
    expect(await server.start()).toBe(a);
  });

  it("stops cleanly on the shutdown message and frees the port", async () => {
    const { server, states } = buildServer();
    const url = await server.start();
    const pid = server.pid as number;

    await server.stop();

    expect(states()).toEqual(["starting", "ready", "stopping", "stopped"]);
    expect(server.url).toBeNull();
    expect(isAlive(pid)).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
  });

  it("stops once when a status listener calls stop() again while stopping", async () => {
    const seen: string[] = [];
    const { server } = buildServer({
      onStatus: (s) => {
        seen.push(s.state);
        if (s.state === "stopping") void server.stop();
      },
    });
    await server.start();
    await server.stop();
    expect(seen).toEqual(["starting", "ready", "stopping", "stopped"]);
  });

  it("kills a server that ignores the shutdown message", async () => {
    const { server } = buildServer({ mode: "ignore-shutdown", stopTimeoutMs: 300 });
    await server.start();
    const pid = server.pid as number;
    const started = Date.now();

    await server.stop();

    // It waited out the shutdown grace, then killed the process.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false));
  });

  it("rejects with the server's own message when it reports a fatal start-up error", async () => {
    const { server, statuses } = buildServer({ mode: "fatal" });
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerStartError);
    expect(error).toMatchObject({ reason: "fatal", message: "DATABASE_PATH is not writable" });
    expect(statuses.at(-1)?.state).toBe("starting");
    expect(server.url).toBeNull();
  });

  it("rejects when the process exits before it is ready", async () => {
    const { server } = buildServer({ mode: "exit-early" });
    await expect(server.start()).rejects.toMatchObject({ reason: "exited", exitCode: 3 });
  });

  it("gives up after readyTimeoutMs and does not leave the process running", async () => {
    const { server } = buildServer({ mode: "silent", readyTimeoutMs: 300 });
    const pending = server.start();
    await vi.waitFor(() => expect(server.status.state).toBe("starting"));
    await expect(pending).rejects.toMatchObject({ reason: "timeout" });
  });

  it("restarts a crashed server on the same port, so the page's origin does not change", async () => {
    const { server, states } = buildServer();
    const url = await server.start();
    const firstPid = server.pid as number;

    process.kill(firstPid, "SIGKILL");

    await vi.waitFor(() => expect(states().slice(-3)).toEqual(["crashed", "starting", "ready"]), { timeout: 5_000 });
    expect(server.url).toBe(url);
    expect(server.pid).not.toBe(firstPid);
    expect((await getJson(url)).pid).toBe(server.pid);
  });

  it("reports the crash with its exit code and the delay before the restart", async () => {
    const { server, statuses } = buildServer({ restartPolicy: { initialDelayMs: 50, maxDelayMs: 50 } });
    await server.start();
    process.kill(server.pid as number, "SIGKILL");
    await vi.waitFor(() => expect(statuses.some((s) => s.state === "crashed")).toBe(true));
    expect(statuses.find((s) => s.state === "crashed")).toEqual({ state: "crashed", exitCode: null, restartInMs: 50, attempt: 1 });
  });

  it("stops restarting after maxRestarts crashes within the window, and can be started again by hand", async () => {
    const { server, statuses } = buildServer({ restartPolicy: { maxRestarts: 1, initialDelayMs: 10 } });
    await server.start();
    const firstPid = server.pid as number;
    process.kill(firstPid, "SIGKILL");
    await vi.waitFor(() => expect(server.status.state === "ready" && server.pid !== firstPid).toBe(true));
    process.kill(server.pid as number, "SIGKILL");
    await vi.waitFor(() => expect(server.status.state).toBe("failed"));
    expect(statuses.at(-1)).toMatchObject({ state: "failed", message: expect.stringContaining("2 times") });

    const url = await server.start();
    expect((await getJson(url)).pid).toBe(server.pid);
  });

  it("cancels a pending restart when stopped during the back-off", async () => {
    let stopped: Promise<void> | null = null;
    const seen: string[] = [];
    const { server } = buildServer({
      restartPolicy: { initialDelayMs: 100, maxDelayMs: 100 },
      // Stop at the very moment the crash is reported, i.e. inside the back-off.
      onStatus: (s) => {
        seen.push(s.state);
        if (s.state === "crashed") stopped = server.stop();
      },
    });
    await server.start();
    process.kill(server.pid as number, "SIGKILL");
    await vi.waitFor(() => expect(stopped).not.toBeNull());
    await stopped;
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(seen).toEqual(["starting", "ready", "crashed", "stopped"]);
    expect(server.pid).toBeUndefined();
  });

  it("takes a free port when the preferred one is taken", async () => {
    const blocker = await occupiedPort();
    try {
      const { server } = buildServer({ preferredPort: blocker.port });
      const url = await server.start();
      expect(Number(new URL(url).port)).not.toBe(blocker.port);
      expect(server.port).toBe(Number(new URL(url).port));
    } finally {
      await blocker.close();
    }
  });

  it("uses the preferred port when it is free", async () => {
    const probe = await occupiedPort();
    await probe.close();
    const { server } = buildServer({ preferredPort: probe.port });
    expect(await server.start()).toBe(`http://127.0.0.1:${probe.port}`);
  });

  it("rejects a pending start when stopped, and leaves no process behind", async () => {
    const { server } = buildServer({ mode: "silent" });
    const pending = server.start().catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.status.state).toBe("starting"));
    await server.stop();
    expect(await pending).toMatchObject({ reason: "stopped" });
    expect(server.status.state).toBe("stopped");
  });
});

describe("serverStatusText", () => {
  it("tells the user about a crash and a give-up, and says nothing otherwise", () => {
    expect(serverStatusText("Lockstep", { state: "crashed", exitCode: 1, restartInMs: 250, attempt: 1 })).toEqual({
      title: "Lockstep — server stopped, restarting…",
      notice: expect.stringContaining("exit code 1"),
    });
    expect(serverStatusText("Lockstep", { state: "failed", message: "gave up" })).toEqual({
      title: "Lockstep — server stopped",
      notice: "gave up",
    });
    expect(serverStatusText("Lockstep", { state: "ready", url: "http://127.0.0.1:1" })).toEqual({ title: "Lockstep", notice: null });
  });
});

describe("utilityForkServer (Electron's utilityProcess, adapted)", () => {
  class FakeUtilityProcess extends EventEmitter {
    pid: number | undefined = 42;
    stdout = new EventEmitter();
    stderr = new EventEmitter();
    posted: unknown[] = [];
    kills = 0;
    postMessage(message: unknown): void {
      this.posted.push(message);
    }
    kill(): boolean {
      this.kills += 1;
      return true;
    }
  }

  it("maps messages, exit, send and kill, and forwards output", () => {
    const fake = new FakeUtilityProcess();
    const calls: unknown[][] = [];
    const output: string[] = [];
    const forkServer = utilityForkServer(
      (modulePath, args, options) => {
        calls.push([modulePath, args, options]);
        return fake as unknown as UtilityProcess;
      },
      { serviceName: "Lockstep server", onOutput: (chunk, stream) => output.push(`${stream}:${chunk.toString()}`) },
    );
    const child = forkServer({ modulePath: "/app/dist/server/main.js", env: { PORT: "0" } });
    expect(calls).toEqual([["/app/dist/server/main.js", [], { env: { PORT: "0" }, serviceName: "Lockstep server", stdio: "pipe" }]]);

    const messages: unknown[] = [];
    const exits: (number | null)[] = [];
    child.onMessage((m) => messages.push(m));
    child.onExit((c) => exits.push(c));
    fake.emit("message", { type: "ready", url: "http://127.0.0.1:5" });
    fake.stderr.emit("data", Buffer.from("boom"));
    child.send({ type: "shutdown" });
    fake.emit("exit", 0);
    child.send({ type: "shutdown" });
    child.kill();

    expect(messages).toEqual([{ type: "ready", url: "http://127.0.0.1:5" }]);
    expect(output).toEqual(["stderr:boom"]);
    expect(fake.posted).toEqual([{ type: "shutdown" }]);
    expect(exits).toEqual([0]);
    expect(fake.kills).toBe(0);
  });
});

describe("buildServerEnv", () => {
  const base = {
    PATH: "/usr/bin",
    HOME: "/home/u",
    PORT: "8080",
    HOST: "0.0.0.0",
    WORKERS: "4",
    DATABASE_PATH: "/elsewhere.sqlite",
    ELECTRON_RUN_AS_NODE: "1",
    NODE_OPTIONS: "--inspect",
    REDIS_URL: "redis://shell:6379",
    UNSET: undefined,
  };

  it("binds to loopback, one worker, the SQLite file in userData, and drops process-changing variables", () => {
    const env = buildServerEnv({ baseEnv: base, userDataDir: "/data/Lockstep", rendererDir: "/app/dist/renderer" });
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      REDIS_URL: "redis://shell:6379",
      HOST: "127.0.0.1",
      WORKERS: "1",
      DATABASE_PATH: path.join("/data/Lockstep", "lockstep.sqlite"),
      RENDERER_DIR: "/app/dist/renderer",
      NODE_ENV: "production",
    });
    expect(env).not.toHaveProperty("PORT");
  });

  it("lets the Redis URL from settings win over the shell's", () => {
    const env = buildServerEnv({ baseEnv: base, userDataDir: "/d", rendererDir: "/r", redisUrl: "redis://team:6379" });
    expect(env.REDIS_URL).toBe("redis://team:6379");
  });
});

describe("app paths", () => {
  it("runs the server from app.asar.unpacked when packaged", () => {
    expect(unpackedPath("/opt/Lockstep/resources/app.asar/dist/server/main.js")).toBe(
      "/opt/Lockstep/resources/app.asar.unpacked/dist/server/main.js",
    );
    expect(unpackedPath("C:\\Lockstep\\resources\\app.asar\\dist\\server\\main.js")).toBe(
      "C:\\Lockstep\\resources\\app.asar.unpacked\\dist\\server\\main.js",
    );
    expect(unpackedPath("/work/main/dist/server/main.js")).toBe("/work/main/dist/server/main.js");
  });

  it("derives every path from the bundle's folder", () => {
    expect(appPaths("/work/main/dist/main", false)).toEqual({
      preload: "/work/main/dist/main/preload.cjs",
      serverEntry: "/work/main/dist/server/main.js",
      rendererDir: "/work/main/dist/renderer",
      icon: "/work/main/build/icon.png",
    });
    expect(appPaths("/opt/L/resources/app.asar/dist/main", true)).toMatchObject({
      serverEntry: "/opt/L/resources/app.asar.unpacked/dist/server/main.js",
      rendererDir: "/opt/L/resources/app.asar/dist/renderer",
      icon: undefined,
    });
  });
});
