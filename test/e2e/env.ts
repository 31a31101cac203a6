/** Shared by the E2E web server (server.ts), playwright.config.ts and the specs. */

/** The Lockstep server under test listens on 127.0.0.1:E2E_PORT. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 4477);
/** The control server (Redis stop/start/restart) listens on 127.0.0.1:E2E_PORT+1. */
export const CONTROL_PORT = E2E_PORT + 1;
export const BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
export const CONTROL_URL = `http://127.0.0.1:${CONTROL_PORT}`;
export const DEMO_PASSWORD = "lockstep-demo";
/** Lock TTL of the E2E server: short, so expiry and "hidden longer than the TTL" fit in a quick run. Heartbeats every TTL/3 = 1 s. */
export const E2E_LOCK_TTL_MS = 3_000;

/** Debian's Chromium (never `npx playwright install`), with the switches of STACK.md. */
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
