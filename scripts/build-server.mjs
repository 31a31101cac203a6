// Bundles the standalone server (server/main.ts) into one ES module, dist/server/main.js, for
// the desktop app's embedded server and for IT. Native modules stay external (they are
// compiled per Node/Electron ABI); the Lua scripts are copied next to the bundle because the
// Redis store reads them via `new URL("./lua/<file>", import.meta.url)`.
// Usage: node scripts/build-server.mjs           (npm run build:server)
import { access, cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Packages that are not bundled: native addons, installed next to the bundle. */
export const SERVER_EXTERNALS = Object.freeze(["better-sqlite3"]);

/**
 * @param {{ root?: string, entry?: string, luaDir?: string, outdir?: string }} [options]
 *   paths relative to `root`; defaults are the real server.
 */
export async function buildServer({
  root = ROOT,
  entry = "server/main.ts",
  luaDir = "server/locks/lua",
  outdir = path.join(root, "dist", "server"),
} = {}) {
  try {
    await access(path.join(root, entry));
  } catch {
    throw new Error(`${entry} does not exist: there is no server entry to bundle yet.`);
  }
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: path.join(outdir, "main.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: [...SERVER_EXTERNALS],
    sourcemap: true,
    logLevel: "warning",
    // CommonJS dependencies bundled into an ES module still call require() for Node's
    // built-ins and read __dirname: give them both.
    banner: {
      js: [
        'import { createRequire as __lockstepCreateRequire } from "node:module";',
        'import { fileURLToPath as __lockstepFileURLToPath } from "node:url";',
        "const require = __lockstepCreateRequire(import.meta.url);",
        "const __filename = __lockstepFileURLToPath(import.meta.url);",
        'const __dirname = __lockstepFileURLToPath(new URL(".", import.meta.url));',
      ].join("\n"),
    },
  });
  await cp(path.join(root, luaDir), path.join(outdir, "lua"), { recursive: true });

  // Makes dist/server a package of its own: ES module scope, and the externals IT installs
  // with `npm install --omit=dev` when running the server under their own Node.
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
  const dependencies = Object.fromEntries(SERVER_EXTERNALS.map((name) => [name, pkg.dependencies?.[name] ?? "*"]));
  await writeFile(
    path.join(outdir, "package.json"),
    `${JSON.stringify(
      {
        name: "lockstep-server",
        version: pkg.version,
        private: true,
        type: "module",
        main: "main.js",
        engines: { node: ">=20.19" },
        scripts: { start: "node main.js" },
        dependencies,
      },
      null,
      2,
    )}\n`,
  );
  return outdir;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildServer().then(
    (outdir) => console.log(`server bundled into ${path.relative(process.cwd(), outdir) || "."}`),
    (error) => {
      console.error(`build:server failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
