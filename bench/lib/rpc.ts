import type { ChildProcess } from "node:child_process";

/**
 * A tiny request/answer protocol over a child's IPC channel, for the bench's load and
 * reference processes. The child calls serve() with its handlers; the parent wraps the child in
 * an RpcClient typed by the same handler map (a type-only import of the worker module).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler has its own parameter type
export type Handlers = Record<string, (params: any) => Promise<unknown>>;

type Request = { rpc: "call"; id: number; method: string; params: unknown };
type Answer = { rpc: "answer"; id: number; ok: true; value: unknown } | { rpc: "answer"; id: number; ok: false; error: string };
type Hello = { rpc: "ready" };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** In the child: answers calls with `handlers`; exits when the parent goes away. */
export function serve(handlers: Handlers): void {
  if (!process.send) throw new Error("this worker must be started with an IPC channel");
  const send = (m: Answer | Hello): void => {
    process.send?.(m);
  };
  process.on("message", (m: unknown) => {
    if (!isObject(m) || m.rpc !== "call") return;
    const { id, method, params } = m as Request;
    const handler = handlers[method];
    if (!handler) {
      send({ rpc: "answer", id, ok: false, error: `unknown method ${method}` });
      return;
    }
    handler(params).then(
      (value) => send({ rpc: "answer", id, ok: true, value }),
      (err: unknown) => send({ rpc: "answer", id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  // The parent died or closed the channel: nothing will ever ask us again.
  process.on("disconnect", () => process.exit(0));
  send({ rpc: "ready" });
}

export class RpcClient<H extends Handlers> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
    startTimeoutMs = 20_000,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
      child.on("message", (m: unknown) => {
        if (!isObject(m)) return;
        if (m.rpc === "ready") {
          clearTimeout(timer);
          resolve();
        } else if (m.rpc === "answer") {
          const a = m as Answer;
          const waiter = this.pending.get(a.id);
          this.pending.delete(a.id);
          if (a.ok) waiter?.resolve(a.value);
          else waiter?.reject(new Error(`${name}: ${a.error}`));
        }
      });
      child.once("exit", (code, sig) => {
        clearTimeout(timer);
        const err = new Error(`${name} exited (${code ?? sig})`);
        reject(err);
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  call<M extends keyof H & string>(method: M, params: Parameters<H[M]>[0], timeoutMs: number): Promise<Awaited<ReturnType<H[M]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as Awaited<ReturnType<H[M]>>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ rpc: "call", id, method, params } satisfies Request);
    });
  }
}
