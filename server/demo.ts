import { ConfigError, configFromEnv, type Config } from "./config.js";
import { runServer, tellParent } from "./run.js";
import { seedDemo } from "./seed.js";

/**
 * `npm run demo`: the standalone server on 127.0.0.1 with a seeded demo workspace and the
 * built renderer at `/`. Honours PORT, REDIS_URL and DATABASE_PATH like the server.
 */
async function main(): Promise<void> {
  const password = process.env.DEMO_PASSWORD || "lockstep-demo";
  let config: Config;
  try {
    config = configFromEnv(process.env, {
      host: "127.0.0.1",
      port: process.env.PORT ? Number(process.env.PORT) : 4321,
      rendererDir: process.env.RENDERER_DIR ?? "dist/renderer",
      logLevel: (process.env.LOG_LEVEL as Config["logLevel"] | undefined) ?? "warn",
    });
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : String(err));
    process.exit(1);
  }
  let server;
  try {
    server = await runServer(config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(
      (err as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? `Port ${config.port} is in use. Pick another: PORT=4400 npm run demo`
        : `The demo server could not start: ${message}`,
    );
    process.exit(1);
  }
  const seeded = await seedDemo(server.data, password);
  console.log(
    [
      "",
      `Lockstep demo is running at ${server.url}`,
      "",
      seeded
        ? `Demo users (password "${password}"): alice (owner), bob (editor), carol (viewer) in "Acme"; dave (no membership).`
        : "Using the existing accounts in DATABASE_PATH (the demo workspace was seeded earlier).",
      `Lock store: ${config.redisUrl ? `Redis at ${config.redisUrl}` : "in memory (set REDIS_URL to use Redis)"}. ` +
        `Database: ${config.databasePath === ":memory:" ? "in memory (set DATABASE_PATH to keep it)" : config.databasePath}.`,
      "Open the URL in two browser windows, sign in as bob in one and alice in the other. Ctrl+C stops.",
      "",
    ].join("\n"),
  );
  tellParent({ type: "ready", url: server.url });
}

await main();
