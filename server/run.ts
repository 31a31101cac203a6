import { createServer, type LockstepServer, type ServerDeps } from "./app.js";
import type { Config } from "./config.js";

/** Messages to a parent process (Electron's utilityProcess, or child_process.fork). */
type ParentMessage = { type: "ready"; url: string } | { type: "fatal"; message: string };

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: "message", listener: (event: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

export function tellParent(message: ParentMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
}

function onParentShutdown(stop: () => void): void {
  const isShutdown = (m: unknown): boolean =>
    typeof m === "object" && m !== null && (m as { type?: unknown }).type === "shutdown";
  parentPort?.on("message", (event) => {
    if (isShutdown(event.data)) stop();
  });
  process.on("message", (m) => {
    if (isShutdown(m)) stop();
  });
}

/** Starts one server process and wires signals to a clean stop. */
export async function runServer(config: Config, deps: ServerDeps = {}): Promise<LockstepServer> {
  const server = await createServer(config, deps);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.logger.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  onParentShutdown(() => stop("parent"));
  return server;
}

