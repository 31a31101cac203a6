import path from "node:path";

/**
 * Where the embedded server's files are and what environment it starts with. The server is
 * configured by environment variables only (server/config.ts); PORT is added by the
 * lifecycle (embedded-server.ts).
 */

/** Variables the app decides; the same names from the user's shell are never passed on. */
const OWNED = ["PORT", "HOST", "DATABASE_PATH", "RENDERER_DIR", "WORKERS", "ALLOWED_ORIGINS", "ALLOWED_HOSTS"];

/**
 * Variables that would change how the child *process* runs rather than the server: Electron's
 * own switches (ELECTRON_RUN_AS_NODE would turn the utility process into something else)
 * and Node's option injection.
 */
const DROPPED_PREFIXES = ["ELECTRON_", "NODE_OPTIONS", "NODE_DEBUG", "NODE_INSPECT"];

export interface ServerEnvInput {
  /** The app's own environment (`process.env`). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** Electron's userData folder: the SQLite file lives there. */
  readonly userDataDir: string;
  /** Folder of the built renderer the server serves at `/`. */
  readonly rendererDir: string;
  /** From settings; wins over REDIS_URL in the shell. Absent and no REDIS_URL: memory store. */
  readonly redisUrl?: string | undefined;
}

/** The embedded server's environment, without PORT. */
export function buildServerEnv(input: ServerEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.baseEnv)) {
    if (value === undefined || OWNED.includes(key)) continue;
    if (DROPPED_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    env[key] = value;
  }
  // Loopback only: the embedded server is for this machine. Opening it to the LAN is a
  // deliberate setting, not something a shell variable does by accident.
  env.HOST = "127.0.0.1";
  env.WORKERS = "1";
  env.DATABASE_PATH = path.join(input.userDataDir, "lockstep.sqlite");
  env.RENDERER_DIR = input.rendererDir;
  env.NODE_ENV = "production";
  if (input.redisUrl !== undefined) env.REDIS_URL = input.redisUrl;
  return env;
}

/**
 * Files inside `app.asar` that electron-builder unpacked (`asarUnpack`) live in
 * `app.asar.unpacked`. The server runs from there: its ES modules, its Lua scripts (read via
 * `new URL(…, import.meta.url)`) and better-sqlite3's native addon all need a real folder.
 */
export function unpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, "$1app.asar.unpacked$2");
}

export interface AppPaths {
  /** dist/main/preload.cjs */
  readonly preload: string;
  /** dist/server/main.js (unpacked when packaged) */
  readonly serverEntry: string;
  /** dist/renderer */
  readonly rendererDir: string;
  /** build/icon.png in development; the packaged app takes its icon from the bundle. */
  readonly icon: string | undefined;
}

/** Paths relative to the bundled main script's folder (`dist/main`). */
export function appPaths(mainDir: string, isPackaged: boolean): AppPaths {
  const dist = path.dirname(mainDir);
  return {
    preload: path.join(mainDir, "preload.cjs"),
    serverEntry: unpackedPath(path.join(dist, "server", "main.js")),
    rendererDir: path.join(dist, "renderer"),
    icon: isPackaged ? undefined : path.join(path.dirname(dist), "build", "icon.png"),
  };
}
