import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv, loadConfig } from "../../server/config.js";

describe("config", () => {
  it("has embedded defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 0, host: "127.0.0.1", lockTtlMs: 45_000, databasePath: ":memory:", workers: 1, trustProxy: false });
    expect(c.redisUrl).toBeUndefined();
  });

  it("reads the environment", () => {
    const c = configFromEnv({
      PORT: "8080",
      REDIS_URL: "redis://127.0.0.1:6390",
      LOCK_TTL_MS: "30000",
      ALLOWED_ORIGINS: "https://a.example, https://b.example",
      TRUST_PROXY: "true",
      WORKERS: "2",
    });
    expect(c).toMatchObject({ port: 8080, redisUrl: "redis://127.0.0.1:6390", lockTtlMs: 30_000, workers: 2, trustProxy: true });
    expect(c.allowedOrigins).toEqual(["https://a.example", "https://b.example"]);
  });

  it("refuses WORKERS>1 without REDIS_URL, with a line that says what to do", () => {
    expect(() => configFromEnv({ WORKERS: "3" })).toThrow(ConfigError);
    expect(() => configFromEnv({ WORKERS: "3" })).toThrow(/WORKERS=3 needs REDIS_URL/);
  });

  it("names the variable of a bad value", () => {
    expect(() => configFromEnv({ PORT: "eighty" })).toThrow(/PORT:/);
    expect(() => configFromEnv({ REDIS_URL: "http://nope" })).toThrow(/REDIS_URL:/);
    expect(() => configFromEnv({ LOCK_TTL_MS: "10" })).toThrow(/LOCK_TTL_MS:/);
  });
});
