/**
 * Dedicated worker that keeps the edit lock alive. Page timers are throttled in hidden or
 * minimised windows (to once a minute after five minutes in Chromium, past a 45 s TTL); a
 * dedicated worker's are not, so the heartbeat and its fetch live here.
 */
import { createHeartbeatLoop, type HeartbeatCommand } from "./heartbeat-loop.js";

interface WorkerScope {
  onmessage: ((ev: MessageEvent<HeartbeatCommand>) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

const loop = createHeartbeatLoop(
  (url, init) => fetch(url, init),
  (report) => scope.postMessage(report),
  {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  },
);

scope.onmessage = (ev) => {
  const cmd = ev.data;
  if (cmd.type === "start") loop.start(cmd.config);
  else loop.stop();
};
