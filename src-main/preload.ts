/**
 * The preload: exposes `window.lockstep` (see bridge.ts) and nothing else. Runs sandboxed with
 * context isolation; bundled to CommonJS (dist/main/preload.cjs) because a sandboxed preload
 * can only `require` a few modules and cannot be an ES module.
 */
import { contextBridge, ipcRenderer } from "electron";
import { createBridge, decodeBridgeArgument } from "./bridge.js";

contextBridge.exposeInMainWorld(
  "lockstep",
  createBridge(decodeBridgeArgument(process.argv), (channel, payload) => ipcRenderer.invoke(channel, payload)),
);
