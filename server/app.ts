import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import type { DocumentEvent } from "../protocol/index.js";
import { AccessControl } from "./access/index.js";
import { loadConfig, type Config, type ConfigInput } from "./config.js";
import { createHttpApp } from "./http/app.js";
import { iso, toHolder } from "./http/wire.js";
import { MemoryLockStore } from "./locks/memory-store.js";
import { createRedisClient } from "./locks/redis-client.js";
import { RedisLockStore } from "./locks/redis-store.js";
import { DocumentLockService, type LockEvent } from "./locks/service.js";
import type { LockStore } from "./locks/types.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { MemoryEventBus, RedisEventBus, type EventBus } from "./realtime/bus.js";
import { RequestGuard } from "./realtime/guard.js";
import { RealtimeHub, type HubOptions } from "./realtime/hub.js";
import { openDataStore, type DataStore } from "./store/index.js";

/** What the composition root can be given instead of building it (tests, the embedded app). */
export interface ServerDeps {
  readonly logger?: Logger;
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
  readonly hub?: HubOptions;
  /** Registers Node's default process metrics (off in tests that start many servers). */
  readonly defaultMetrics?: boolean;
}

export interface LockstepServer {
  /** http://host:port, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  readonly config: Config;
  readonly data: DataStore;
  readonly locks: DocumentLockService;
  readonly hub: RealtimeHub;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly http: Server;
  /** Stops accepting, closes sockets (1012), stops the sweeper, closes Redis and SQLite. */
  close(): Promise<void>;
}

/** Lock service events, as the wire announces them. */
export function lockEventToWire(e: LockEvent): DocumentEvent {
  const at = iso(e.at);
  switch (e.type) {
    case "locked":
      return { type: "document_locked", document_id: e.documentId, holder: toHolder(e.holder), at };
    case "released":
    case "expired":
      return {
        type: "document_unlocked",
        document_id: e.documentId,
        previous_holder: toHolder(e.previous),
        reason: e.type,
        at,
      };
    case "force_taken":
      return {
        type: "document_force_taken",
        document_id: e.documentId,
        holder: toHolder(e.holder),
        previous_holder: toHolder(e.previous),
        at,
      };
    default: {
      const _never: never = e;
      return _never;
    }
  }
}

/**
 * The one composition root: builds the stores, the lock service, the HTTP app and the
 * WebSocket hub from a config, starts listening, and returns a handle whose close() undoes it.
 */
export async function createServer(input: ConfigInput | Config = {}, deps: ServerDeps = {}): Promise<LockstepServer> {
  const config = loadConfig(input);
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { pid: process.pid } });
  const metrics = createMetrics({ defaultMetrics: deps.defaultMetrics ?? true });
  const data = openDataStore(config.databasePath, {
    scryptCost: config.scryptCost,
    sessionTtlMs: config.sessionTtlMs,
  });

  const redisClients: Redis[] = [];
  let store: LockStore;
  let bus: EventBus;
  if (config.redisUrl) {
    const common = { commandTimeoutMs: config.redisCommandTimeoutMs, logger };
    const locksClient = createRedisClient(config.redisUrl, { ...common, connectionName: "lockstep:locks" });
    const pub = createRedisClient(config.redisUrl, { ...common, connectionName: "lockstep:pub" });
    // The subscriber may queue its SUBSCRIBE until connected; ioredis re-subscribes on reconnect.
    const sub = createRedisClient(config.redisUrl, {
      ...common,
      connectionName: "lockstep:sub",
      overrides: { enableOfflineQueue: true, commandTimeout: undefined },
    });
    redisClients.push(locksClient, pub, sub);
    store = new RedisLockStore({
      redis: locksClient,
      keyPrefix: config.redisKeyPrefix,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      logger,
    });
    const redisBus = new RedisEventBus(pub, sub, logger, config.redisKeyPrefix);
    bus = redisBus;
    await waitReady([locksClient, pub, sub], config.redisCommandTimeoutMs, logger);
    await Promise.race([redisBus.whenReady(), new Promise((r) => setTimeout(r, config.redisCommandTimeoutMs))]);
  } else {
    store = new MemoryLockStore();
    bus = new MemoryEventBus();
  }

  const locks = new DocumentLockService(store, {
    ttlMs: config.lockTtlMs,
    sweepIntervalMs: config.lockSweepIntervalMs,
    logger,
  });
  locks.on("event", (event) => {
    if (event.type === "expired") metrics.lockExpiries.inc();
    void bus.publish({ kind: "document", event: lockEventToWire(event) });
  });

  const access = new AccessControl(data.documents, data.workspaces);
  const guard = new RequestGuard(config.host, config.allowedHosts, config.allowedOrigins);
  const ready = async (): Promise<void> => {
    data.ping();
    await store.ping();
  };
  const app = createHttpApp(
    { config, data, access, locks, bus, metrics, logger, guard, ready },
    { version: deps.version ?? process.env.npm_package_version ?? "0.0.0" },
  );
  const http = createHttpServer(app);
  const hub = new RealtimeHub(
    { accounts: data.accounts, documents: data.documents, access, locks, bus, metrics, logger, guard },
    deps.hub,
  );
  http.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  // Bound slow-loris style clients; keep-alive longer than typical proxies' idle timeout.
  http.headersTimeout = 20_000;
  http.requestTimeout = 60_000;
  http.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  locks.start();
  const port = (http.address() as AddressInfo).port;
  const urlHost = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const url = `http://${urlHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await locks.stop();
      // Stop listening first: clients told to reconnect (1012) must not get back in to the
      // server that is going away.
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await hub.close();
      http.closeAllConnections();
      await stopped;
      await bus.close();
      await store.close();
      for (const client of redisClients) client.disconnect();
      data.close();
    })());

  return { url, port, config, data, locks, hub, metrics, logger, http, close };
}

/** Waits until the Redis clients are connected, up to `timeoutMs`; the server starts either way. */
async function waitReady(clients: Redis[], timeoutMs: number, logger: Logger): Promise<void> {
  const connected = Promise.all(
    clients.map((c) => (c.status === "ready" ? Promise.resolve() : new Promise<void>((r) => c.once("ready", () => r())))),
  );
  const timedOut = await Promise.race([
    connected.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), timeoutMs).unref()),
  ]);
  if (timedOut) logger.warn("Redis is not reachable yet; lock routes answer 503 until it is");
}
