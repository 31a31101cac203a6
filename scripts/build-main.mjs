// Bundles the Electron main process and the preload into CommonJS (dist/main/*.cjs).
// CommonJS because the project is "type": "module" and a sandboxed preload cannot be an ES
// module; one bundle each because a sandboxed preload can only `require` a few modules.
// Usage: node scripts/build-main.mjs            (npm run build:main)
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** @param {{ root?: string, outdir?: string }} [options] */
export async function buildMain({ root = ROOT, outdir = path.join(root, "dist", "main") } = {}) {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: "src-main/main.ts", preload: "src-main/preload.ts" },
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    // Electron 41 runs Node 22+ in main; the preload runs in Chromium 14x.
    target: ["node22", "chrome140"],
    external: ["electron"],
    sourcemap: true,
    logLevel: "warning",
  });
  // Lets `electron dist/main` run the app in development with the right name and version.
  // (Packaged builds use the root package.json, whose `main` electron-builder points here.)
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
  await mkdir(outdir, { recursive: true });
  await writeFile(
    path.join(outdir, "package.json"),
    `${JSON.stringify({ name: pkg.name, productName: "Lockstep", version: pkg.version, private: true, main: "main.cjs" }, null, 2)}\n`,
  );
  return outdir;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildMain().then(
    (outdir) => console.log(`main and preload bundled into ${path.relative(process.cwd(), outdir) || "."}`),
    (error) => {
      console.error(`build:main failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
