import { Redis } from "ioredis";
import { LOOPBACK, freePort, sleep } from "./net.js";
import type { ProcessGroup } from "./processes.js";

export interface BenchRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A redis-server of our own on a free loopback port, without persistence. */
export async function startRedis(procs: ProcessGroup, logFile?: string): Promise<BenchRedis> {
  const port = await freePort();
  const child = procs.spawn({
    command: "redis-server",
    args: ["--port", String(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no", "--loglevel", "warning"],
    ...(logFile ? { logFile } : {}),
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (is it installed? apt-get install -y redis-server)`);
    const probe = new Redis({ port, host: LOOPBACK, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await sleep(20);
    }
  }
  return { url: `redis://${LOOPBACK}:${port}`, port, stop: () => procs.stop(child) };
}
