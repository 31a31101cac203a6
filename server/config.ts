import { z } from "zod";

const boolFromEnv = z
  .enum(["1", "0", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const listFromEnv = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()).filter((s) => s.length > 0));

/**
 * Server configuration. Every field has a default that suits the embedded mode (one person,
 * loopback, memory lock store), so `loadConfig({})` is a working server.
 */
export const ConfigSchema = z
  .object({
    /** TCP port; 0 picks a free one. */
    port: z.coerce.number().int().min(0).max(65535).default(0),
    /** Interface to listen on. Loopback by default: opening to the LAN is a deliberate choice. */
    host: z.string().min(1).default("127.0.0.1"),
    /** Redis for locks and cross-process events. Absent: the in-process memory store. */
    redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
    /** SQLite file. ":memory:" keeps everything in RAM (tests, throwaway demos). */
    databasePath: z.string().min(1).default(":memory:"),
    /** Lock time-to-live without a heartbeat. */
    lockTtlMs: z.coerce.number().int().min(1_000).max(3_600_000).default(45_000),
    /** How often expired locks are looked for; bounds how late an expiry is announced. */
    lockSweepIntervalMs: z.coerce.number().int().min(50).max(2_000).default(500),
    /** Redis command timeout: past it a lock call fails with 503 instead of hanging. */
    redisCommandTimeoutMs: z.coerce.number().int().min(100).max(30_000).default(2_000),
    /** Key prefix in Redis, so several deployments (or test runs) can share one server. */
    redisKeyPrefix: z.string().max(64).default(""),
    /** Browser origins allowed to open the WebSocket and call the API cross-origin. The server's own origin is always allowed. */
    allowedOrigins: z.array(z.string()).default([]),
    /** Host header values accepted besides the listen address (DNS-rebinding guard); e.g. the public name behind a proxy. */
    allowedHosts: z.array(z.string()).default([]),
    /** Express `trust proxy`: false (default) keys rate limits on the socket address, never on X-Forwarded-For. */
    trustProxy: z
      .union([z.boolean(), z.coerce.number().int().min(0), z.string()])
      .default(false),
    /** Session lifetime. */
    sessionTtlMs: z.coerce.number().int().min(60_000).default(30 * 24 * 3600 * 1000),
    /** Login attempts per address per window before 429. */
    loginRateLimit: z.coerce.number().int().min(1).default(10),
    loginRateWindowMs: z.coerce.number().int().min(1_000).default(60_000),
    /** Folder of the built renderer served at `/`; absent or missing: API only. */
    rendererDir: z.string().optional(),
    /** pino level. */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Server processes (node:cluster) on one port. More than one needs Redis. */
    workers: z.coerce.number().int().min(1).max(64).default(1),
    /** scrypt cost (N). Lowered only by tests. */
    scryptCost: z.coerce.number().int().min(1024).default(16384),
  })
  .superRefine((c, ctx) => {
    if (c.workers > 1 && c.redisUrl === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["redisUrl"],
        message:
          `WORKERS=${c.workers} needs REDIS_URL: locks and events must be shared by all worker ` +
          "processes. Set REDIS_URL (e.g. redis://127.0.0.1:6379) or run with WORKERS=1.",
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variable -> config field, with how to read it. */
const ENV = {
  PORT: ["port", z.string()],
  HOST: ["host", z.string()],
  REDIS_URL: ["redisUrl", z.string()],
  DATABASE_PATH: ["databasePath", z.string()],
  LOCK_TTL_MS: ["lockTtlMs", z.string()],
  LOCK_SWEEP_INTERVAL_MS: ["lockSweepIntervalMs", z.string()],
  REDIS_COMMAND_TIMEOUT_MS: ["redisCommandTimeoutMs", z.string()],
  REDIS_KEY_PREFIX: ["redisKeyPrefix", z.string()],
  ALLOWED_ORIGINS: ["allowedOrigins", listFromEnv],
  ALLOWED_HOSTS: ["allowedHosts", listFromEnv],
  TRUST_PROXY: ["trustProxy", z.string().transform((v) => boolFromEnv.safeParse(v).data ?? v)],
  SESSION_TTL_MS: ["sessionTtlMs", z.string()],
  LOGIN_RATE_LIMIT: ["loginRateLimit", z.string()],
  RENDERER_DIR: ["rendererDir", z.string()],
  LOG_LEVEL: ["logLevel", z.string()],
  WORKERS: ["workers", z.string()],
} as const;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the config from environment variables; throws ConfigError with one readable line per problem. */
export function configFromEnv(env: NodeJS.ProcessEnv, overrides: ConfigInput = {}): Config {
  const input: Record<string, unknown> = {};
  for (const [name, [field, reader]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    input[field] = (reader as z.ZodType).parse(raw);
  }
  return loadConfig({ ...input, ...overrides });
}

/** Validates a config object (defaults filled in); throws ConfigError with readable lines. */
export function loadConfig(input: ConfigInput = {}): Config {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const envName = (field: string): string =>
      Object.entries(ENV).find(([, [f]]) => f === field)?.[0] ?? field;
    const lines = parsed.error.issues.map(
      (i) => `${envName(String(i.path[0] ?? ""))}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  return Object.freeze(parsed.data);
}
