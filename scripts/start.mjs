// `npm start`: build what the desktop app needs and launch it in Electron. Where Electron's
// binary is not installed (it cannot be downloaded everywhere), say so in one paragraph and
// point to browser mode, instead of failing with a stack trace.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
  "Until then, use browser mode: run `npm run demo` and open the URL it prints in your browser —",
  "it is the same app, served by the same server.",
].join("\n");

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
    return 1;
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
