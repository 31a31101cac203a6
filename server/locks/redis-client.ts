import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";

export interface RedisClientOptions {
  /** A command without a reply within this many ms fails (default 2000). */
  readonly commandTimeoutMs?: number;
  /** Where connection problems are logged; silent when absent. */
  readonly logger?: Logger;
  /** Shown in `CLIENT LIST`, e.g. "lockstep:locks". */
  readonly connectionName?: string;
  /** Longest wait between reconnect attempts (default 2000 ms). */
  readonly maxReconnectDelayMs?: number;
  /** Merged last, for the rare client that needs different settings (e.g. a subscriber). */
  readonly overrides?: RedisOptions;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/**
 * An ioredis client that fails fast instead of waiting for Redis: a lock request must answer
 * 503 within the timeout, never hang while Redis is away.
 * - no offline queue: while disconnected, commands fail at once ("Stream isn't writeable");
 * - `commandTimeout`: a connected but stuck Redis fails a command after the timeout;
 * - in-flight commands are not resent after a reconnect: their caller already got an error
 *   and must not find a lock taken on their behalf long after;
 * - it reconnects forever, with capped backoff, so it heals without being recreated;
 * - it always has an 'error' listener (an EventEmitter 'error' without one crashes the process)
 *   and logs a connection problem once, not on every reconnect attempt.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout,
    // A connect that hangs (host unreachable, packets dropped) is given up as soon as a command
    // would be, and retried by the reconnect loop.
    connectTimeout: Math.max(commandTimeout, 1_000),
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    // Jitter spreads the reconnects of many workers after a Redis restart.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay) + Math.floor(Math.random() * 100),
    ...(options.connectionName !== undefined ? { connectionName: options.connectionName } : {}),
    ...options.overrides,
  });
  const logger = options.logger;
  let failing = false;
  client.on("error", (err: Error) => {
    if (failing) {
      logger?.debug({ err }, "redis still unreachable");
      return;
    }
    failing = true;
    logger?.warn({ err, connection: options.connectionName }, "redis connection error; reconnecting");
  });
  client.on("ready", () => {
    if (!failing) return;
    failing = false;
    logger?.info({ connection: options.connectionName }, "redis connection restored");
  });
  return client;
}
