import cluster from "node:cluster";
import { ConfigError, configFromEnv, type Config } from "./config.js";
import { runServer, tellParent } from "./run.js";

function fail(message: string): never {
  console.error(message);
  tellParent({ type: "fatal", message });
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : `Invalid configuration: ${String(err)}`);
  }

  if (config.workers > 1 && cluster.isPrimary) {
    if (config.port === 0) fail("WORKERS>1 needs a fixed PORT: the workers must share one port.");
    console.log(`lockstep: starting ${config.workers} workers on ${config.host}:${config.port}`);
    for (let i = 0; i < config.workers; i++) cluster.fork();
    let stopping = false;
    cluster.on("exit", (worker, code) => {
      if (stopping) return;
      console.error(`lockstep: worker ${worker.process.pid} exited (${code}); starting another`);
      cluster.fork();
    });
    const stop = (): void => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    return;
  }

  try {
    const server = await runServer(config);
    server.logger.info(
      { url: server.url, lockStore: config.redisUrl ? "redis" : "memory", database: config.databasePath },
      `lockstep listening on ${server.url}`,
    );
    tellParent({ type: "ready", url: server.url });
  } catch (err) {
    fail(`lockstep could not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

await main();
