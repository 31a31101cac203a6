/**
 * The E2E web server (Playwright's `webServer`): builds the renderer, starts a real
 * redis-server on a free port, the Lockstep server on 127.0.0.1:E2E_PORT with a short lock TTL
 * and the demo workspace, and a tiny control server on 127.0.0.1:E2E_PORT+1 so a test can
 * stop / start / restart that Redis. Test scaffolding only; SIGTERM / SIGINT stop everything.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { createServer, type LockstepServer } from "../../server/app.js";
import { seedDemo, type DemoWorkspace } from "../../server/seed.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { CONTROL_PORT, DEMO_PASSWORD, E2E_LOCK_TTL_MS, E2E_PORT } from "./env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RENDERER_DIR = path.join(ROOT, "dist/renderer");
/** The server's own log (level warn): kept out of the test output, which a Redis restart floods. */
const SERVER_LOG = path.join(ROOT, "test-results", "e2e-server.log");

function buildRenderer(): void {
  const started = Date.now();
  execFileSync(path.join(ROOT, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
  console.log(`[e2e] renderer built in ${Date.now() - started} ms`);
}

async function main(): Promise<void> {
  buildRenderer();
  const dataDir = mkdtempSync(path.join(tmpdir(), "lockstep-e2e-"));
  let redis: TestRedis | undefined;
  let server: LockstepServer | undefined;
  let control: ReturnType<typeof createHttpServer> | undefined;
  let stopping = false;

  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code || 1), 5_000);
    force.unref();
    try {
      control?.closeAllConnections();
      control?.close();
      await server?.close();
    } catch (err) {
      console.error("[e2e] error while stopping the server:", err);
    }
    try {
      await redis?.stop();
    } catch (err) {
      console.error("[e2e] error while stopping redis:", err);
    }
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGINT", () => void stop(0));

  try {
    redis = await startRedis();
    server = await createServer(
      {
        host: "127.0.0.1",
        port: E2E_PORT,
        redisUrl: redis.url,
        databasePath: path.join(dataDir, "lockstep.sqlite"),
        rendererDir: RENDERER_DIR,
        lockTtlMs: E2E_LOCK_TTL_MS,
        lockSweepIntervalMs: 200,
        scryptCost: 1024,
        logLevel: "warn",
        // Every spec signs three people in through the UI, and some also sign in over REST.
        loginRateLimit: 10_000,
      },
      { defaultMetrics: false, logger: pino({ level: "warn" }, pino.destination({ dest: SERVER_LOG, mkdir: true, sync: true })) },
    );
    const demo = await seedDemo(server.data, DEMO_PASSWORD);
    if (!demo) throw new Error("the fresh E2E database already had users");
    control = await startControl(redis, demo);
  } catch (err) {
    console.error("[e2e] could not start:", err);
    await stop(1);
    return;
  }
  console.log(
    `[e2e] Lockstep at ${server.url} (redis ${redis.url}); control at http://127.0.0.1:${CONTROL_PORT}; server log: ${path.relative(ROOT, SERVER_LOG)}`,
  );
}

/** POST /redis/stop | /redis/start | /redis/restart; GET /demo (ids of the seeded workspace). */
async function startControl(redis: TestRedis, demo: DemoWorkspace): Promise<ReturnType<typeof createHttpServer>> {
  let busy: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = busy.then(job, job);
    busy = next.catch(() => undefined);
    return next;
  };
  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const route = `${req.method} ${req.url}`;
    switch (route) {
      case "GET /demo":
        return reply(res, 200, demo);
      case "POST /redis/stop":
        await serial(() => redis.stop());
        return reply(res, 200, { redis: "stopped" });
      case "POST /redis/start":
        await serial(() => redis.start());
        return reply(res, 200, { redis: "started" });
      case "POST /redis/restart":
        await serial(async () => {
          await redis.stop();
          await redis.start();
        });
        return reply(res, 200, { redis: "restarted" });
      default:
        return reply(res, 404, { error: `no route ${route}` });
    }
  };
  const control = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    control.once("error", reject);
    control.listen(CONTROL_PORT, "127.0.0.1", () => resolve());
  });
  return control;
}

await main();
