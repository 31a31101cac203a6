/**
 * `window.lockstep`: the only thing the preload exposes to the page. Read-only facts plus one
 * typed call; never `ipcRenderer` itself. The facts travel from main to the preload as one
 * command-line switch (`webPreferences.additionalArguments`), which a sandboxed preload can
 * read synchronously from `process.argv` — so the page sees plain values, not promises.
 *
 * This module is bundled into the sandboxed preload: it must stay free of Node and Electron
 * imports (a sandboxed preload can only `require` a handful of modules).
 *
 * The types live in protocol/bridge.ts, shared with the renderer.
 */

import type { BridgeFacts, LockstepBridge, ServerChoice, ServerMode, SwitchServerResult } from "../protocol/bridge.js";

export type { BridgeFacts, LockstepBridge, ServerChoice, ServerMode, SwitchServerResult };

/** IPC channels, one per typed call. Main registers exactly these and nothing else. */
export const IPC_CHANNELS = Object.freeze({
  switchServer: "lockstep:switch-server",
} as const);

export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];

const BRIDGE_SWITCH = "--lockstep-bridge=";

/** The command-line switch that carries `facts` to the preload. */
export function encodeBridgeArgument(facts: BridgeFacts): string {
  // URI-encoded so no quote or space reaches a command line (Windows quoting rules differ).
  return BRIDGE_SWITCH + encodeURIComponent(JSON.stringify(facts));
}

export class BridgeArgumentError extends Error {
  override name = "BridgeArgumentError";
}

/** Reads the facts back in the preload; throws BridgeArgumentError when absent or malformed. */
export function decodeBridgeArgument(argv: readonly string[]): BridgeFacts {
  const arg = argv.find((a) => a.startsWith(BRIDGE_SWITCH));
  if (arg === undefined) throw new BridgeArgumentError(`${BRIDGE_SWITCH.slice(0, -1)} is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(decodeURIComponent(arg.slice(BRIDGE_SWITCH.length)));
  } catch {
    throw new BridgeArgumentError("bridge argument is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null) throw new BridgeArgumentError("bridge argument is not an object");
  const r = raw as Record<string, unknown>;
  const str = (key: keyof BridgeFacts): string => {
    const v = r[key];
    if (typeof v !== "string" || v === "") throw new BridgeArgumentError(`bridge argument: ${key} must be a string`);
    return v;
  };
  const serverMode = str("serverMode");
  if (serverMode !== "embedded" && serverMode !== "team") {
    throw new BridgeArgumentError("bridge argument: serverMode must be embedded or team");
  }
  return { serverUrl: str("serverUrl"), serverMode, appVersion: str("appVersion"), platform: str("platform") };
}

/** Sends one typed call to main (in the preload: a wrapper around `ipcRenderer.invoke`). */
export type Invoke = (channel: IpcChannel, payload: unknown) => Promise<unknown>;

function toSwitchServerResult(value: unknown): SwitchServerResult {
  if (typeof value === "object" && value !== null && (value as { ok?: unknown }).ok === true) return { ok: true };
  const v = value as { error?: unknown; message?: unknown } | null;
  const error = v?.error === "invalid_url" || v?.error === "cancelled" ? v.error : "failed";
  return { ok: false, error, message: typeof v?.message === "string" ? v.message : "Switching server failed." };
}

/**
 * The object the preload exposes as `window.lockstep`. Only plain values and functions that
 * take plain data: nothing that leads back to `ipcRenderer` or an IPC event.
 */
export function createBridge(facts: BridgeFacts, invoke: Invoke): LockstepBridge {
  return Object.freeze({
    serverUrl: facts.serverUrl,
    serverMode: facts.serverMode,
    appVersion: facts.appVersion,
    platform: facts.platform,
    switchServer: async (choice: ServerChoice): Promise<SwitchServerResult> =>
      toSwitchServerResult(await invoke(IPC_CHANNELS.switchServer, choice)),
  });
}
