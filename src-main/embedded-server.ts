import { ServerMessageSchema, type ForkServer, type ServerChild } from "./server-process.js";

/**
 * The embedded server's lifecycle: start it on a free port and wait until it says it is
 * ready, restart it when it dies, stop it cleanly. The process itself comes from the
 * `fork` dependency (Electron's utilityProcess in the app, child_process.fork in tests).
 *
 * Invariants:
 * - At most one server process is alive at a time.
 * - A process that exits while `ready` is a crash and is restarted, at most
 *   `maxRestarts` times within `windowMs`; past that the status is `failed` until the next
 *   explicit `start()`. An exit during `stop()` is never a crash.
 * - A restart reuses the port of the last good start, so the page's origin stays the same;
 *   only when that fails is a fresh free port taken (the URL in the next `ready` differs).
 */

export type ServerStatus =
  | { readonly state: "stopped" }
  | { readonly state: "starting" }
  | { readonly state: "ready"; readonly url: string }
  | {
      readonly state: "crashed";
      readonly exitCode: number | null;
      /** How long until the restart attempt. */
      readonly restartInMs: number;
      /** Restarts within the current window, this one included. */
      readonly attempt: number;
    }
  | { readonly state: "failed"; readonly message: string }
  | { readonly state: "stopping" };

export interface RestartPolicy {
  /** Restarts allowed within `windowMs` before giving up. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** Delay before the first restart; doubles with each restart in the window. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  maxRestarts: 5,
  windowMs: 60_000,
  initialDelayMs: 250,
  maxDelayMs: 5_000,
});

export interface EmbeddedServerOptions {
  readonly fork: ForkServer;
  /** The server's entry script. */
  readonly modulePath: string;
  /** The child's environment without PORT (see buildServerEnv); PORT is set here. */
  readonly env: Readonly<Record<string, string>>;
  /** Port to try first (the one used last time); a free port is taken when it fails. */
  readonly preferredPort?: number;
  /** How long a start may take until `ready` (opening SQLite, migrations, Redis). */
  readonly readyTimeoutMs?: number;
  /** How long `stop()` waits after `shutdown`, and again after a kill. */
  readonly stopTimeoutMs?: number;
  readonly restartPolicy?: Partial<RestartPolicy>;
  /** Every status change, in order. */
  readonly onStatus?: (status: ServerStatus) => void;
}

export interface EmbeddedServer {
  /** Starts (or joins a start in progress); resolves with the server URL once ready. */
  start(): Promise<string>;
  /** Stops the process (shutdown message, then kill) and cancels pending restarts. */
  stop(): Promise<void>;
  readonly status: ServerStatus;
  /** URL of the running server, null unless ready. */
  readonly url: string | null;
  /** Port of the last successful start (before one: the preferred port); persist it as the next `preferredPort`. */
  readonly port: number | null;
  readonly pid: number | undefined;
}

export type ServerStartFailure = "timeout" | "fatal" | "exited" | "stopped";

export class ServerStartError extends Error {
  override name = "ServerStartError";
  constructor(
    readonly reason: ServerStartFailure,
    message: string,
    readonly exitCode: number | null = null,
  ) {
    super(message);
  }
}

interface Running {
  readonly child: ServerChild;
  readonly exited: Promise<number | null>;
  hasExited: boolean;
}

function delay(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref?.());
}

export function createEmbeddedServer(options: EmbeddedServerOptions): EmbeddedServer {
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };

  let status: ServerStatus = { state: "stopped" };
  /** The newest process, starting or ready; null when none is alive. */
  let proc: Running | null = null;
  let url: string | null = null;
  /** The port to try first: the preferred one, then the one of the last good start. */
  let port: number | null = options.preferredPort ?? null;
  /** Bumped by stop(): continuations of older starts see it and back off. */
  let generation = 0;
  let starting: Promise<string> | null = null;
  let cancelLaunch: (() => void) | null = null;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  let restartTimes: number[] = [];
  /** The process that reached `ready`; its exit while still current is a crash. */
  let current: Running | null = null;
  let stopping: Promise<void> | null = null;

  const setStatus = (next: ServerStatus): void => {
    status = next;
    options.onStatus?.(next);
  };

  function launch(atPort: number): Promise<{ running: Running; url: string }> {
    const child = options.fork({ modulePath: options.modulePath, env: { ...options.env, PORT: String(atPort) } });
    const running: Running = {
      child,
      hasExited: false,
      exited: new Promise((resolve) => child.onExit(resolve)),
    };
    void running.exited.then(() => {
      running.hasExited = true;
      if (proc === running) proc = null;
    });
    proc = running;

    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: ServerStartError | null, readyUrl = ""): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cancelLaunch = null;
        if (error === null) {
          resolve({ running, url: readyUrl });
        } else {
          // Only one server process at a time: the next attempt waits until this one is gone.
          child.kill();
          void Promise.race([running.exited, delay(stopTimeoutMs)]).then(() => reject(error));
        }
      };
      const timer = setTimeout(
        () => settle(new ServerStartError("timeout", `The server did not report ready within ${readyTimeoutMs} ms.`)),
        readyTimeoutMs,
      );
      cancelLaunch = () => settle(new ServerStartError("stopped", "The server was stopped while starting."));
      child.onMessage((raw) => {
        const parsed = ServerMessageSchema.safeParse(raw);
        if (!parsed.success) return; // not ours (or a future message kind): ignore
        const message = parsed.data;
        switch (message.type) {
          case "ready":
            settle(null, message.url);
            return;
          case "fatal":
            settle(new ServerStartError("fatal", message.message));
            return;
          default: {
            const _never: never = message;
            return _never;
          }
        }
      });
      child.onExit((code) => {
        settle(new ServerStartError("exited", `The server exited (code ${String(code)}) before it was ready.`, code));
      });
    });
  }

  async function boot(): Promise<string> {
    const gen = generation;
    setStatus({ state: "starting" });
    const preferred = port;
    let result: { running: Running; url: string };
    try {
      result = await launch(preferred ?? 0);
    } catch (error) {
      const retryable =
        error instanceof ServerStartError && (error.reason === "fatal" || error.reason === "exited");
      if (!retryable || preferred === null || gen !== generation) throw error;
      // Most likely the old port is taken now: any free port will do.
      port = null;
      result = await launch(0);
    }
    if (gen !== generation) {
      result.running.child.kill();
      throw new ServerStartError("stopped", "The server was stopped while starting.");
    }
    const running = result.running;
    current = running;
    url = result.url;
    void running.exited.then((code) => {
      if (running === current && gen === generation) onCrash(code);
    });
    const readyPort = Number(new URL(result.url).port);
    port = Number.isInteger(readyPort) && readyPort > 0 ? readyPort : null;
    setStatus({ state: "ready", url: result.url });
    return result.url;
  }

  function onCrash(exitCode: number | null): void {
    current = null;
    url = null;
    const now = Date.now();
    restartTimes = restartTimes.filter((t) => now - t < policy.windowMs);
    if (restartTimes.length >= policy.maxRestarts) {
      setStatus({
        state: "failed",
        message:
          `The embedded server stopped ${restartTimes.length + 1} times within ` +
          `${Math.round(policy.windowMs / 1000)} s (last exit code ${String(exitCode)}); it is not restarted again.`,
      });
      return;
    }
    const wait = Math.min(policy.initialDelayMs * 2 ** restartTimes.length, policy.maxDelayMs);
    restartTimes.push(now);
    // The timer is armed before the status is announced: a listener that calls stop() on
    // "crashed" must find it there to cancel.
    const gen = generation;
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (gen !== generation) return;
      starting = boot()
        .catch((error: unknown) => {
          if (gen === generation && !(error instanceof ServerStartError && error.reason === "stopped")) {
            onCrash(error instanceof ServerStartError ? error.exitCode : null);
          }
          throw error;
        })
        .finally(() => {
          starting = null;
        });
      starting.catch(() => undefined);
    }, wait);
    setStatus({ state: "crashed", exitCode, restartInMs: wait, attempt: restartTimes.length });
  }

  async function start(): Promise<string> {
    if (stopping !== null) await stopping;
    if (status.state === "ready" && url !== null) return url;
    if (starting !== null) return starting;
    if (restartTimer !== null) {
      clearTimeout(restartTimer);
      restartTimer = null;
    }
    restartTimes = [];
    starting = boot().finally(() => {
      starting = null;
    });
    return starting;
  }

  async function waitExit(running: Running, ms: number): Promise<boolean> {
    return (await Promise.race([running.exited.then(() => "exited" as const), delay(ms)])) === "exited";
  }

  function stop(): Promise<void> {
    // doStop runs from a microtask, so `stopping` is set before any status listener it
    // triggers could call stop() again.
    stopping ??= Promise.resolve()
      .then(doStop)
      .finally(() => {
        stopping = null;
      });
    return stopping;
  }

  async function doStop(): Promise<void> {
    generation += 1;
    if (restartTimer !== null) {
      clearTimeout(restartTimer);
      restartTimer = null;
    }
    const running = proc ?? current;
    current = null;
    url = null;
    cancelLaunch?.();
    if (running !== null && !running.hasExited) {
      setStatus({ state: "stopping" });
      running.child.send({ type: "shutdown" });
      if (!(await waitExit(running, stopTimeoutMs))) {
        running.child.kill();
        await waitExit(running, stopTimeoutMs);
      }
    }
    setStatus({ state: "stopped" });
  }

  return {
    start,
    stop,
    get status() {
      return status;
    },
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    get pid() {
      return current?.child.pid;
    },
  };
}

/** What the app tells the user about the embedded server: a window title and, for news, a notification. */
export interface ServerStatusText {
  readonly title: string;
  /** Shown as a system notification; null when there is nothing to announce. */
  readonly notice: string | null;
}

export function serverStatusText(appName: string, status: ServerStatus): ServerStatusText {
  switch (status.state) {
    case "crashed":
      return {
        title: `${appName} — server stopped, restarting…`,
        notice:
          `The built-in server stopped unexpectedly (exit code ${String(status.exitCode)}). ` +
          "It is being restarted; your saved work is safe.",
      };
    case "failed":
      return { title: `${appName} — server stopped`, notice: status.message };
    case "starting":
      return { title: `${appName} — starting…`, notice: null };
    case "ready":
    case "stopping":
    case "stopped":
      return { title: appName, notice: null };
    default: {
      const _never: never = status;
      return _never;
    }
  }
}
