import type { Timers } from "../realtime/socket.js";
import { realTimers } from "../realtime/socket.js";

/** What one save attempt came to. */
export type SaveAttempt =
  /** Saved (or nothing to save). */
  | "ok"
  /** Failed for a reason that may pass (network, 503): try again after a backoff. */
  | "retry"
  /** Failed for good (lock lost, conflict): wait for the next edit or an explicit flush. */
  | "stop";

export interface AutosaveOptions {
  /** Saves the current text once. Must not throw. */
  save(): Promise<SaveAttempt>;
  /** Whether the editor holds unsaved changes. */
  isDirty(): boolean;
  /** Quiet time after the last keystroke before saving. */
  debounceMs?: number;
  /** Longest time an unsaved change waits while typing goes on without pause. */
  maxWaitMs?: number;
  /** First wait after a failed save; doubles per failure up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  timers?: Timers;
}

export interface Autosave {
  /** The text changed: (re)start the debounce. */
  changed(): void;
  /** Save now (Ctrl/Cmd+S, before release): resolves when nothing is in flight or pending. */
  flush(): Promise<void>;
  /** No more saves are started (one in flight finishes). */
  stop(): void;
}

/**
 * Debounced autosave with a max wait, a single save in flight, and backoff after failures.
 * Edits made while a save is in flight are saved right after it (never lost, never parallel:
 * two saves in parallel would race on `base_version`).
 */
export function createAutosave(options: AutosaveOptions): Autosave {
  const timers = options.timers ?? realTimers;
  const debounceMs = options.debounceMs ?? 800;
  const maxWaitMs = options.maxWaitMs ?? 5_000;
  const retryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;

  let debounce: unknown = null;
  let maxWait: unknown = null;
  let retry: unknown = null;
  let inFlight: Promise<SaveAttempt> | null = null;
  let failures = 0;
  let stopped = false;

  const clear = (): void => {
    for (const t of [debounce, maxWait, retry]) if (t !== null) timers.clearTimeout(t);
    debounce = maxWait = retry = null;
  };

  const schedule = (): void => {
    if (debounce !== null) timers.clearTimeout(debounce);
    debounce = timers.setTimeout(() => void run(), debounceMs);
    if (maxWait === null) maxWait = timers.setTimeout(() => void run(), maxWaitMs);
  };

  async function run(): Promise<void> {
    clear();
    if (stopped) return;
    if (inFlight !== null) {
      // Saved again once the current save is done (see below).
      return;
    }
    if (!options.isDirty()) return;
    inFlight = options.save();
    const result = await inFlight;
    inFlight = null;
    if (stopped) return;
    if (result === "ok") {
      failures = 0;
      if (options.isDirty()) schedule();
    } else if (result === "retry") {
      const wait = Math.min(maxRetryMs, retryMs * 2 ** failures);
      failures++;
      retry = timers.setTimeout(() => void run(), wait);
    }
  }

  return {
    changed() {
      if (stopped) stopped = false;
      if (retry !== null) {
        // A failure is already being retried; the retry will include this change.
        return;
      }
      schedule();
    },
    async flush() {
      stopped = false;
      for (let i = 0; i < 3; i++) {
        if (inFlight !== null) await inFlight;
        if (!options.isDirty()) return;
        clear();
        const result = await (inFlight = options.save());
        inFlight = null;
        if (result !== "ok") {
          if (result === "retry") schedule();
          return;
        }
      }
    },
    stop() {
      stopped = true;
      clear();
    },
  };
}
