import { execFile } from "node:child_process";
import { cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Packs the app for real with electron-builder (`--linux dir`), offline: a stand-in Electron
 * "binary" (a file carrying the fuse sentinel) replaces the download, and native modules are
 * not rebuilt. What this proves: the `files` filter, asarUnpack, extraMetadata.main and the
 * afterPack fuse hook do what electron-builder.yml says, on the packaged output.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STAGE = path.join(ROOT, "dist-test", `package-${process.pid}`);
const OUT = path.join(STAGE, "out", "linux-unpacked");
const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve("app-builder-lib/package.json", {
  paths: [path.dirname(createRequire(import.meta.url).resolve("electron-builder/package.json"))],
}));
const asar = requireFromBuilder("@electron/asar") as {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  extractFile(archive: string, file: string): Buffer;
};
const { getCurrentFuseWire } = createRequire(import.meta.url)("@electron/fuses") as {
  getCurrentFuseWire(binary: string): Promise<Record<string, unknown>>;
};

interface Scripts {
  buildMain(options: { outdir: string }): Promise<string>;
  buildServer(options: { entry: string; luaDir: string; outdir: string }): Promise<string>;
  LOCKSTEP_FUSES: Record<string, unknown>;
}
const script = async (file: string) => (await import(pathToFileURL(path.join(ROOT, "scripts", file)).href)) as Scripts;

const SENTINEL = "dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX";
// Electron's defaults: runAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, …
const DEFAULT_WIRE = "10010001";

beforeAll(async () => {
  await rm(STAGE, { recursive: true, force: true });
  const fakeElectron = path.join(STAGE, "electron-dist");
  await mkdir(path.join(fakeElectron, "resources"), { recursive: true });
  await writeFile(path.join(fakeElectron, "electron"), `#!/bin/sh\n#${SENTINEL}\u0001\u0008${DEFAULT_WIRE}\n`, { mode: 0o755 });
  await writeFile(path.join(fakeElectron, "LICENSE"), "");

  await cp(path.join(ROOT, "package.json"), path.join(STAGE, "package.json"));
  await cp(path.join(ROOT, "electron-builder.yml"), path.join(STAGE, "electron-builder.yml"));
  await cp(path.join(ROOT, "build"), path.join(STAGE, "build"), { recursive: true });
  await cp(path.join(ROOT, "scripts/build-after-pack.mjs"), path.join(STAGE, "scripts/build-after-pack.mjs"));
  await symlink(path.join(ROOT, "node_modules"), path.join(STAGE, "node_modules"), "dir");

  await (await script("build-main.mjs")).buildMain({ outdir: path.join(STAGE, "dist/main") });
  await (await script("build-server.mjs")).buildServer({
    entry: "test/fixtures/server-entry/main.ts",
    luaDir: "test/fixtures/server-entry/lua",
    outdir: path.join(STAGE, "dist/server"),
  });
  await mkdir(path.join(STAGE, "dist/renderer"), { recursive: true });
  await writeFile(path.join(STAGE, "dist/renderer/index.html"), "<!doctype html><title>Lockstep</title>");

  await run(
    process.execPath,
    [
      path.join(ROOT, "node_modules/electron-builder/cli.js"),
      "--linux",
      "dir",
      "--config",
      "electron-builder.yml",
      `-c.electronDist=${fakeElectron}`,
      "-c.npmRebuild=false",
      "-c.directories.output=out",
    ],
    { cwd: STAGE, env: { ...process.env, CI: "true" } },
  );
}, 180_000);

afterAll(async () => {
  await rm(STAGE, { recursive: true, force: true });
});

describe("packaged app (electron-builder --linux dir, offline)", () => {
  const archive = () => path.join(OUT, "resources", "app.asar");

  it("starts the bundled main", () => {
    const pkg = JSON.parse(asar.extractFile(archive(), "package.json").toString("utf8")) as { main: string };
    expect(pkg.main).toBe("dist/main/main.cjs");
  });

  it("holds the bundles and only the native module from node_modules", () => {
    const files = asar.listPackage(archive(), { isPack: false }).map((f) => f.replaceAll("\\", "/"));
    expect(files).toEqual(
      expect.arrayContaining([
        "/dist/main/main.cjs",
        "/dist/main/preload.cjs",
        "/dist/server/main.js",
        "/dist/renderer/index.html",
        "/node_modules/better-sqlite3/build/Release/better_sqlite3.node",
        "/node_modules/bindings/bindings.js",
      ]),
    );
    const packages = new Set(files.filter((f) => /^\/node_modules\/[^/]+$/.test(f)).map((f) => f.split("/")[2]));
    expect([...packages].sort()).toEqual(["better-sqlite3", "bindings", "file-uri-to-path"]);
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.some((f) => f.startsWith("/src-") || f.startsWith("/server/") || f.startsWith("/test/"))).toBe(false);
  });

  it("unpacks the server and the native module, and the unpacked server runs", async () => {
    const unpacked = path.join(OUT, "resources", "app.asar.unpacked");
    const { stdout } = await run(process.execPath, [path.join(unpacked, "dist/server/main.js")]);
    expect(JSON.parse(stdout)).toMatchObject({ answer: 42, lua: "-- acquire" });
    await expect(readFile(path.join(unpacked, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).resolves.toBeInstanceOf(Buffer);
  });

  it("flips the fuses in the packaged binary", async () => {
    const { LOCKSTEP_FUSES } = await script("build-after-pack.mjs");
    const wire = await getCurrentFuseWire(path.join(OUT, "lockstep"));
    const ON = 49;
    const OFF = 48;
    const expected = Object.fromEntries(
      Object.entries(LOCKSTEP_FUSES)
        .filter(([k]) => k !== "version")
        .map(([k, v]) => [k, v === true ? ON : OFF]),
    );
    expect(wire).toEqual({ version: "1", ...expected });
    expect(wire[0]).toBe(OFF); // runAsNode
  });
});
