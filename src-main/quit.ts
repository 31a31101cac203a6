/**
 * The order of a quit: close the windows (each page releases its own lock on unload with a
 * `keepalive` request), give those requests a moment to reach the server, then stop the
 * server, then let the app exit. A page that refuses to unload (unsaved draft, and the user
 * chose to stay) cancels the whole quit.
 */

export interface QuitSteps {
  /** Closes every window; false when one stayed open. `cancelled` aborts when `cancel()` is called. */
  closeWindows(cancelled: AbortSignal): Promise<boolean>;
  /** Stops the embedded server (a no-op when there is none). */
  stopServer(): Promise<void>;
  /** Ends the app for real; `before-quit` fires again and must then be let through. */
  exit(): void;
  /** Time for the pages' keepalive release requests to reach the server before it stops. */
  readonly releaseGraceMs: number;
  readonly log?: (message: string, error?: unknown) => void;
}

export interface QuitController {
  /**
   * Call from `before-quit`. True means "prevent the default quit": the sequence runs and
   * calls `exit()` when done. False means the sequence is finished: let the quit happen.
   */
  onBeforeQuit(): boolean;
  /** A page refused to unload and the user chose to stay: the quit in progress is dropped. */
  cancel(): void;
  readonly phase: "running" | "quitting" | "done";
}

export function createQuitController(steps: QuitSteps): QuitController {
  let phase: QuitController["phase"] = "running";
  let abort: AbortController | null = null;

  async function run(): Promise<void> {
    abort = new AbortController();
    let closed: boolean;
    try {
      closed = await steps.closeWindows(abort.signal);
    } catch (error) {
      steps.log?.("closing the windows failed; quitting anyway", error);
      closed = true;
    }
    abort = null;
    if (!closed) {
      phase = "running";
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, steps.releaseGraceMs));
    try {
      await steps.stopServer();
    } catch (error) {
      steps.log?.("stopping the embedded server failed", error);
    }
    phase = "done";
    steps.exit();
  }

  return {
    onBeforeQuit() {
      if (phase === "done") return false;
      if (phase === "running") {
        phase = "quitting";
        void run();
      }
      return true;
    },
    cancel() {
      abort?.abort();
    },
    get phase() {
      return phase;
    },
  };
}

/** The part of a BrowserWindow that `closeAll` uses. */
export interface ClosableWindow {
  close(): void;
  isDestroyed(): boolean;
  once(event: "closed", listener: () => void): unknown;
}

/**
 * Closes every window and waits: true when all closed; false as soon as `cancelled` aborts,
 * or when one is still open after `timeoutMs` (a page that hangs in its unload handler).
 */
export async function closeAll(
  windows: readonly ClosableWindow[],
  timeoutMs: number,
  cancelled?: AbortSignal,
): Promise<boolean> {
  const results = await Promise.all(
    windows
      .filter((w) => !w.isDestroyed())
      .map(
        (w) =>
          new Promise<boolean>((resolve) => {
            const done = (closed: boolean): void => {
              clearTimeout(timer);
              cancelled?.removeEventListener("abort", onAbort);
              resolve(closed);
            };
            const onAbort = (): void => done(false);
            const timer = setTimeout(() => done(w.isDestroyed()), timeoutMs);
            if (cancelled?.aborted === true) return done(false);
            cancelled?.addEventListener("abort", onAbort, { once: true });
            w.once("closed", () => done(true));
            w.close();
          }),
      ),
  );
  return results.every(Boolean);
}
