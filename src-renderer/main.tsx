import "./zod-setup.js";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.js";
import { RendererContext } from "./app/context.js";
import { createRenderer } from "./app/renderer.js";
import { readBridge, readServer } from "./env.js";
import { createHeartbeatDriver } from "./lock/heartbeat-driver.js";
import { browserSocketFactory } from "./realtime/browser-socket.js";
import { memoryStorage, type StorageLike } from "./state/drafts.js";
import "./styles.css";

function localStorageOrMemory(): StorageLike {
  try {
    const probe = "lockstep.probe";
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return memoryStorage();
  }
}

const bridge = readBridge();
const renderer = createRenderer({
  server: readServer(bridge),
  switchServer: bridge?.switchServer ? (choice) => (bridge.switchServer as NonNullable<typeof bridge.switchServer>)(choice) : undefined,
  storage: localStorageOrMemory(),
  fetch: (input, init) => window.fetch(input, init),
  createSocket: browserSocketFactory,
  createHeartbeat: createHeartbeatDriver,
});

// Closing the window or navigating away releases the lock (keepalive fetch; expiry otherwise).
window.addEventListener("pagehide", () => renderer.actions.unload());
window.addEventListener("beforeunload", () => renderer.actions.unload());
window.addEventListener("pageshow", (e) => {
  if (e.persisted) renderer.actions.resume();
});
window.addEventListener("online", () => renderer.actions.setOnline(true));
window.addEventListener("offline", () => renderer.actions.setOnline(false));
renderer.actions.setOnline(navigator.onLine);

const root = document.getElementById("root");
if (root === null) throw new Error("#root is missing from index.html");
createRoot(root).render(
  <StrictMode>
    <RendererContext.Provider value={renderer}>
      <App />
    </RendererContext.Provider>
  </StrictMode>,
);
void renderer.actions.boot();
