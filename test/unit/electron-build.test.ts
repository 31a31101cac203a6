import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/** The build scripts produce bundles that load where they will run. */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Inside the repo, so the bundle's external better-sqlite3 resolves from node_modules (gitignored).
const OUT = path.join(ROOT, "dist-test", `build-${process.pid}`);

interface BuildScripts {
  buildMain(options: { outdir: string }): Promise<string>;
  buildServer(options: { entry: string; luaDir: string; outdir: string }): Promise<string>;
}
const load = async (file: string) => (await import(pathToFileURL(path.join(ROOT, "scripts", file)).href)) as BuildScripts;

afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
});

/** Modules a CommonJS bundle require()s. */
const requires = (code: string): string[] => [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? ""))].sort();

describe("build:main", () => {
  it("bundles main and preload to CommonJS that require only electron and Node built-ins", { timeout: 60_000 }, async () => {
    const { buildMain } = await load("build-main.mjs");
    const outdir = await buildMain({ outdir: path.join(OUT, "main") });

    const main = await readFile(path.join(outdir, "main.cjs"), "utf8");
    expect(requires(main).filter((m) => m !== "electron" && !m.startsWith("node:") && !["crypto", "fs", "fs/promises", "path"].includes(m))).toEqual([]);
    expect(main).not.toMatch(/import\.meta/);

    // A sandboxed preload can require() almost nothing: electron only.
    const preload = await readFile(path.join(outdir, "preload.cjs"), "utf8");
    expect(requires(preload)).toEqual(["electron"]);

    const pkg = JSON.parse(await readFile(path.join(outdir, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({ productName: "Lockstep", main: "main.cjs" });
  });
});

describe("build:server", () => {
  it("bundles an ES module that loads better-sqlite3, CommonJS dependencies and its Lua scripts", { timeout: 60_000 }, async () => {
    const { buildServer } = await load("build-server.mjs");
    const outdir = await buildServer({
      entry: "test/fixtures/server-entry/main.ts",
      luaDir: "test/fixtures/server-entry/lua",
      outdir: path.join(OUT, "server"),
    });

    const { stdout } = await run(process.execPath, [path.join(outdir, "main.js")], { cwd: tmpdir() });
    expect(JSON.parse(stdout)).toEqual({ answer: 42, lua: "-- acquire", include: "-- helpers", express: "function" });

    const bundle = await readFile(path.join(outdir, "main.js"), "utf8");
    expect(bundle).toMatch(/from "better-sqlite3"|import\("better-sqlite3"\)|require\("better-sqlite3"\)/);
    const pkg = JSON.parse(await readFile(path.join(outdir, "package.json"), "utf8")) as { type: string; dependencies: Record<string, string> };
    expect(pkg.type).toBe("module");
    expect(Object.keys(pkg.dependencies)).toEqual(["better-sqlite3"]);
  });

  it("says plainly when there is no server entry yet", async () => {
    const { buildServer } = await load("build-server.mjs");
    await expect(
      buildServer({ entry: "server/does-not-exist.ts", luaDir: "x", outdir: path.join(OUT, "none") }),
    ).rejects.toThrow("server/does-not-exist.ts does not exist");
  });
});

describe("npm start without Electron's binary", () => {
  it("prints one paragraph pointing to browser mode (and, told not to start it, exits 1), with no stack trace", { timeout: 60_000 }, async () => {
    // An empty override folder means "no binary", even where one is installed.
    const empty = await mkdtemp(path.join(tmpdir(), "no-electron-"));
    try {
      const result = await run(process.execPath, [path.join(ROOT, "scripts/start.mjs")], {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty, LOCKSTEP_BROWSER_FALLBACK: "0" },
      }).then(
        () => ({ code: 0, stdout: "", stderr: "" }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Electron's binary is not installed/);
      expect(result.stderr).toMatch(/node node_modules\/electron\/install\.js/);
      expect(result.stderr).toMatch(/npm run demo/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr.trim().split("\n\n")).toHaveLength(1);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
