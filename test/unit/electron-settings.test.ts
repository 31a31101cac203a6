import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  ServerChoiceSchema,
  TeamServerUrlSchema,
  type Settings,
} from "../../src-main/settings.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "lockstep-settings-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const team: Settings = { version: 1, server: { mode: "team", url: "https://locks.example.com" }, embedded: { port: 41234 } };

describe("settings store", () => {
  it("starts from the defaults (embedded server) when there is no file", async () => {
    const store = createSettingsStore(dir);
    expect(await store.load()).toEqual({ settings: DEFAULT_SETTINGS });
    expect(DEFAULT_SETTINGS).toEqual({ version: 1, server: { mode: "embedded" }, embedded: {} });
  });

  it("persists what it saves, readable by a fresh store", async () => {
    await createSettingsStore(dir).save(team);
    expect((await createSettingsStore(dir).load()).settings).toEqual(team);
    expect(JSON.parse(await readFile(path.join(dir, "settings.json"), "utf8"))).toEqual(team);
  });

  it("writes atomically: no temp files are left behind, and the file is private", async () => {
    await createSettingsStore(dir).save(team);
    expect(await readdir(dir)).toEqual(["settings.json"]);
    if (process.platform !== "win32") expect((await stat(path.join(dir, "settings.json"))).mode & 0o077).toBe(0);
  });

  it("creates the folder when it does not exist yet", async () => {
    const nested = path.join(dir, "a", "b");
    await createSettingsStore(nested).save(team);
    expect((await createSettingsStore(nested).load()).settings).toEqual(team);
  });

  it("refuses to save invalid settings", async () => {
    const store = createSettingsStore(dir);
    await expect(store.save({ ...team, server: { mode: "team", url: "ftp://x" } })).rejects.toThrow();
    await expect(store.save({ ...team, embedded: { port: 80 } })).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it("moves an unreadable file aside and falls back to the defaults", async () => {
    const file = path.join(dir, "settings.json");
    await writeFile(file, "{ not json");
    const store = createSettingsStore(dir, () => new Date("2025-01-02T03:04:05.678Z"));
    const loaded = await store.load();
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problem?.message).toMatch(/not JSON/);
    expect(loaded.problem?.movedTo).toBe(`${file}.invalid-2025-01-02T03-04-05-678Z`);
    expect(await readFile(loaded.problem!.movedTo, "utf8")).toBe("{ not json");
    expect(await readdir(dir)).toEqual(["settings.json.invalid-2025-01-02T03-04-05-678Z"]);
  });

  it("moves aside a file that parses but breaks the schema, saying why", async () => {
    await writeFile(path.join(dir, "settings.json"), JSON.stringify({ version: 1, server: { mode: "team", url: "javascript:alert(1)" } }));
    const loaded = await createSettingsStore(dir).load();
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problem?.message).toMatch(/https/);
  });

  it("fills in defaults for sections an older file does not have", async () => {
    await writeFile(path.join(dir, "settings.json"), JSON.stringify({ version: 1 }));
    expect((await createSettingsStore(dir).load()).settings).toEqual(DEFAULT_SETTINGS);
  });

  it("serializes updates, so quick successive changes all land", async () => {
    const store = createSettingsStore(dir);
    await Promise.all([
      store.update((s) => ({ ...s, embedded: { ...s.embedded, port: 40000 } })),
      store.update((s) => ({ ...s, server: { mode: "team", url: "https://a.example" } })),
    ]);
    expect((await store.load()).settings).toEqual({
      version: 1,
      server: { mode: "team", url: "https://a.example" },
      embedded: { port: 40000 },
    });
  });
});

describe("server choice validation", () => {
  it("normalizes a team server URL to its origin", () => {
    expect(TeamServerUrlSchema.parse(" https://Locks.Example.com/ ")).toBe("https://locks.example.com");
    expect(TeamServerUrlSchema.parse("http://192.168.1.20:8080")).toBe("http://192.168.1.20:8080");
  });

  it("refuses URLs the window could not be bound to", () => {
    for (const url of [
      "locks.example.com",
      "ftp://locks.example.com",
      "javascript:alert(1)",
      "file:///srv/lockstep",
      "https://admin:pw@locks.example.com",
      "https://locks.example.com/lockstep",
      "https://locks.example.com/?x=1",
      "https://locks.example.com/#x",
    ]) {
      expect(TeamServerUrlSchema.safeParse(url).success, url).toBe(false);
    }
  });

  it("accepts exactly the two choices", () => {
    expect(ServerChoiceSchema.parse({ mode: "embedded" })).toEqual({ mode: "embedded" });
    expect(ServerChoiceSchema.safeParse({ mode: "team" }).success).toBe(false);
    expect(ServerChoiceSchema.safeParse({ mode: "cloud" }).success).toBe(false);
  });
});
