// `npm start`: build what the desktop app needs and launch it in Electron. Where Electron's
// binary is not installed (it cannot be downloaded everywhere), say so in one paragraph and
// point to browser mode, instead of failing with a stack trace.
import { fork, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildMain } from "./build-main.mjs";
import { buildServer } from "./build-server.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const NO_ELECTRON_MESSAGE = [
  "Lockstep cannot start as a desktop app here: Electron's binary is not installed",
  "(node_modules/electron has the package but no downloaded build; this project installs it",
  "with Electron's download switched off). To get it, run `node node_modules/electron/install.js`",
  "on a machine that can download Electron's release (`npm rebuild electron` does the same only",
  "where package.json's allowScripts lets electron's install script run), then `npm start` again.",
  "Until then, use browser mode — the same app, served by the same server: `npm start` starts it",
  "now on the embedded defaults (your own data, first-run setup), and `npm run demo` starts it",
  "with a ready-made demo team.",
].join("\n");

/**
 * Where the embedded server keeps its SQLite file: Electron's userData folder for the product
 * "Lockstep", so browser mode and the desktop app share one database.
 */
export function userDataDir(env = process.env, platform = process.platform, home = os.homedir()) {
  if (platform === "win32") return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), "Lockstep");
  if (platform === "darwin") return path.join(home, "Library", "Application Support", "Lockstep");
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "Lockstep");
}

/**
 * Browser mode on the embedded defaults: the renderer built, the server on 127.0.0.1 with the
 * memory lock store and the user's SQLite file, and the URL printed once it is ready.
 */
async function startBrowserMode() {
  const renderer = spawnSync("npm", ["run", "--silent", "build:renderer"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32",
  });
  if (renderer.status !== 0) {
    console.error("npm start: the renderer build (npm run build:renderer) failed");
    return 1;
  }
  const dataDir = userDataDir();
  mkdirSync(dataDir, { recursive: true });
  const port = process.env.PORT || "4321";
  const child = fork(path.join(ROOT, "server", "main.ts"), [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: port,
      WORKERS: "1",
      DATABASE_PATH: process.env.DATABASE_PATH || path.join(dataDir, "lockstep.sqlite"),
      RENDERER_DIR: path.join(ROOT, "dist", "renderer"),
      LOG_LEVEL: process.env.LOG_LEVEL || "warn",
    },
  });
  child.on("message", (message) => {
    if (message && message.type === "ready") {
      console.log(`\nLockstep (browser mode) is running at ${message.url} — open it in your browser. Ctrl+C stops.\n`);
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

/** Path of the Electron executable, or null when it is not installed. */
export function resolveElectronBinary(root = ROOT) {
  try {
    // electron's index.js returns the binary's path (from path.txt, or ELECTRON_OVERRIDE_DIST_PATH)
    // and throws "Electron failed to install correctly" when there is none.
    const binary = createRequire(path.join(root, "package.json"))("electron");
    return typeof binary === "string" && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

async function main() {
  const electron = resolveElectronBinary();
  if (electron === null) {
    console.error(NO_ELECTRON_MESSAGE);
    // LOCKSTEP_BROWSER_FALLBACK=0: only explain (scripts and tests that must not start a server).
    if (process.env.LOCKSTEP_BROWSER_FALLBACK === "0") return 1;
    return startBrowserMode();
  }
  try {
    const renderer = spawnSync("npm", ["run", "--silent", "build:renderer"], {
      cwd: ROOT,
      stdio: "inherit",
      shell: process.platform === "win32",
    });
    if (renderer.status !== 0) throw new Error("the renderer build (npm run build:renderer) failed");
    await buildServer();
    await buildMain();
  } catch (error) {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const app = spawn(electron, [path.join(ROOT, "dist", "main")], { cwd: ROOT, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => app.kill(signal));
  return new Promise((resolve) => {
    app.on("exit", (code, signal) => resolve(code ?? (signal === null ? 0 : 1)));
    app.on("error", (error) => {
      console.error(`npm start: could not launch Electron (${error.message})`);
      resolve(1);
    });
  });
}

process.exitCode = await main();
