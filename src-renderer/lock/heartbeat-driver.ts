import type { HeartbeatDriver } from "./heartbeat.js";
import { createHeartbeatLoop, type BeatReport, type HeartbeatCommand } from "./heartbeat-loop.js";

/** The same loop on this thread: used only when a worker cannot be started. */
function mainThreadDriver(): HeartbeatDriver {
  let onReport: (r: BeatReport) => void = () => undefined;
  const loop = createHeartbeatLoop(
    (url, init) => fetch(url, init),
    (r) => onReport(r),
    { setTimeout: (fn, ms) => window.setTimeout(fn, ms), clearTimeout: (h) => window.clearTimeout(h as number), now: () => Date.now() },
  );
  return {
    start(config, report) {
      onReport = report;
      loop.start(config);
    },
    stop: () => loop.stop(),
    dispose: () => loop.stop(),
  };
}

/**
 * Heartbeats from a dedicated module worker (not throttled in hidden windows), falling back to
 * this thread if the worker cannot start (e.g. a stricter CSP than ours).
 */
export function createHeartbeatDriver(): HeartbeatDriver {
  let worker: Worker | null = null;
  try {
    worker = new Worker(new URL("./heartbeat.worker.ts", import.meta.url), { type: "module", name: "lockstep-heartbeat" });
  } catch (e) {
    console.warn("Heartbeat worker unavailable, using the page's timers:", e);
    return mainThreadDriver();
  }
  const w = worker;
  let onReport: (r: BeatReport) => void = () => undefined;
  let fallback: HeartbeatDriver | null = null;
  let lastStart: Parameters<HeartbeatDriver["start"]>[0] | null = null;
  w.onmessage = (ev: MessageEvent<BeatReport>) => onReport(ev.data);
  w.onerror = (ev) => {
    // The worker failed to load or crashed: keep the lock alive from here instead.
    console.warn("Heartbeat worker failed, using the page's timers:", ev.message);
    w.terminate();
    fallback = mainThreadDriver();
    if (lastStart !== null) fallback.start(lastStart, onReport);
  };
  const post = (cmd: HeartbeatCommand): void => w.postMessage(cmd);
  return {
    start(config, report) {
      onReport = report;
      lastStart = config;
      if (fallback) fallback.start(config, report);
      else post({ type: "start", config });
    },
    stop() {
      lastStart = null;
      if (fallback) fallback.stop();
      else post({ type: "stop" });
    },
    dispose() {
      fallback?.dispose();
      w.terminate();
    },
  };
}
