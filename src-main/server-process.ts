import type { ChildProcess, ForkOptions as NodeForkOptions } from "node:child_process";
import type { ForkOptions as UtilityForkOptions, UtilityProcess } from "electron";
import { z } from "zod";

/**
 * The embedded server as a child process, whatever started it: Electron's `utilityProcess`
 * in the app, Node's `child_process.fork` in tests. Both speak the same messages.
 *
 * server -> parent  {type:"ready", url}    once listening
 *                   {type:"fatal", message} before exiting on a start-up error
 * parent -> server  {type:"shutdown"}      stop cleanly (SIGTERM does the same)
 */

export const ServerMessageSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("ready"), url: z.url({ protocol: /^https?$/ }) }),
  z.looseObject({ type: z.literal("fatal"), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export type ParentMessage = { readonly type: "shutdown" };

/** A running server process. Listeners fire at most once per event kind for `onExit`. */
export interface ServerChild {
  readonly pid: number | undefined;
  /** Best effort: a process that already exited ignores it. */
  send(message: ParentMessage): void;
  /** SIGTERM on POSIX (the server stops cleanly on it); terminates on Windows. */
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  /** `code` is null when the process was ended by a signal or never started. */
  onExit(listener: (code: number | null) => void): void;
}

export interface ForkRequest {
  /** The server's entry script (dist/server/main.js). */
  readonly modulePath: string;
  /** The child's whole environment (nothing is inherited implicitly). */
  readonly env: Readonly<Record<string, string>>;
}

export type ForkServer = (request: ForkRequest) => ServerChild;

/** Exit listeners run once, whichever of `exit` / spawn `error` comes first. */
function onceExit(): { fire(code: number | null): void; add(listener: (code: number | null) => void): void } {
  let exited: { code: number | null } | null = null;
  const listeners: ((code: number | null) => void)[] = [];
  return {
    fire(code) {
      if (exited !== null) return;
      exited = { code };
      for (const l of listeners.splice(0)) l(code);
    },
    add(listener) {
      if (exited !== null) queueMicrotask(() => listener(exited?.code ?? null));
      else listeners.push(listener);
    },
  };
}

type NodeFork = (modulePath: string, args: readonly string[], options: NodeForkOptions) => ChildProcess;

/** `child_process.fork` as a ForkServer (tests, and running the server under plain Node). */
export function nodeForkServer(fork: NodeFork, options: { readonly output?: "inherit" | "ignore" } = {}): ForkServer {
  return ({ modulePath, env }) => {
    const output = options.output ?? "inherit";
    const child = fork(modulePath, [], { env: { ...env }, stdio: ["ignore", output, output, "ipc"] });
    const exit = onceExit();
    child.on("exit", (code) => exit.fire(code));
    child.on("error", () => {
      // A spawn failure emits `error` and no `exit`; a failed send() or kill() emits `error` too,
      // and then the process has exited or is about to, which `exit` reports.
      if (child.pid === undefined || child.exitCode !== null) exit.fire(child.exitCode);
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (child.connected) child.send(message, (error) => void error);
      },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      },
      onMessage(listener) {
        child.on("message", (message) => listener(message));
      },
      onExit: exit.add,
    };
  };
}

type UtilityFork = (modulePath: string, args: string[], options: UtilityForkOptions) => UtilityProcess;

/** Electron's `utilityProcess.fork` as a ForkServer (the app). */
export function utilityForkServer(
  fork: UtilityFork,
  options: {
    readonly serviceName: string;
    /** Receives the child's stdout/stderr; without it they are inherited. */
    readonly onOutput?: (chunk: Buffer, stream: "stdout" | "stderr") => void;
  },
): ForkServer {
  return ({ modulePath, env }) => {
    const onOutput = options.onOutput;
    const child = fork(modulePath, [], {
      env: { ...env },
      serviceName: options.serviceName,
      stdio: onOutput === undefined ? "inherit" : "pipe",
    });
    if (onOutput !== undefined) {
      child.stdout?.on("data", (chunk: Buffer) => onOutput(chunk, "stdout"));
      child.stderr?.on("data", (chunk: Buffer) => onOutput(chunk, "stderr"));
    }
    const exit = onceExit();
    child.on("exit", (code) => exit.fire(code));
    let exited = false;
    exit.add(() => {
      exited = true;
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (!exited) child.postMessage(message);
      },
      kill() {
        if (!exited) child.kill();
      },
      onMessage(listener) {
        child.on("message", (message: unknown) => listener(message));
      },
      onExit: exit.add,
    };
  };
}
