import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { WebSocket } from "ws";
import { ServerMessage } from "../../protocol/index.js";
import { createServer, type LockstepServer, type ServerDeps } from "../../server/app.js";
import type { ConfigInput } from "../../server/config.js";
import { seedDemo, type DemoWorkspace } from "../../server/seed.js";

export const DEMO_PASSWORD = "lockstep-demo";

export interface TestServer {
  readonly server: LockstepServer;
  readonly url: string;
  readonly demo: DemoWorkspace;
  /** Signs in and returns the bearer token. */
  login(username: string, password?: string): Promise<string>;
  /** A JSON request; returns status, parsed body and headers. */
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  readonly body: any;
  readonly headers: Headers;
}

/**
 * A real server on 127.0.0.1 port 0 with the demo workspace, on Redis when `redisUrl` is given
 * (each server its own key prefix unless one is passed), on the memory store otherwise.
 */
export async function startTestServer(
  config: ConfigInput = {},
  deps: ServerDeps = {},
  /** A second server on the same database and Redis: pass the first one's workspace (no re-seed). */
  shared?: { demo: DemoWorkspace },
): Promise<TestServer> {
  const server = await createServer(
    {
      port: 0,
      host: "127.0.0.1",
      logLevel: "silent",
      scryptCost: 1024,
      redisKeyPrefix: config.redisUrl ? `t${randomUUID().slice(0, 8)}:` : "",
      ...config,
    },
    { logger: pino({ level: "silent" }), defaultMetrics: false, ...deps },
  );
  const demo = shared?.demo ?? (await seedDemo(server.data, DEMO_PASSWORD));
  if (!demo) throw new Error("test database was not empty");
  const call: TestServer["call"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(server.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    server,
    url: server.url,
    demo,
    call,
    async login(username, password = DEMO_PASSWORD) {
      const reply = await call("POST", "/api/auth/login", { body: { username, password } });
      if (reply.status !== 200) throw new Error(`login ${username}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body.token as string;
    },
    close: () => server.close(),
  };
}

/** A client id as a window would make one. */
export const clientId = (label = "win"): string => `${label}-${randomUUID().slice(0, 12)}`;

/** A WebSocket client that records every message, for assertions. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  send(message: unknown): void;
  /** Resolves with the first message (from now on, or already received after `from`) matching. */
  next<T extends ServerMessage["type"]>(type: T, predicate?: (m: Extract<ServerMessage, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export async function ticketFor(t: { url: string }, token: string): Promise<string> {
  const res = await fetch(`${t.url}/api/realtime/ticket`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`ticket: ${res.status}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

/** Opens /ws with a fresh ticket for `token` and waits until it is open. */
export async function connectSocket(t: { url: string }, token: string, options: { origin?: string } = {}): Promise<TestSocket> {
  const ticket = await ticketFor(t, token);
  const ws = new WebSocket(`${t.url.replace(/^http/, "ws")}/ws?ticket=${ticket}`, options.origin ? { origin: options.origin } : {});
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(ServerMessage.parse(JSON.parse(data.toString())));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let cursor = 0;
  return {
    ws,
    messages,
    closed,
    send: (m) => ws.send(typeof m === "string" ? m : JSON.stringify(m)),
    close: () => ws.close(),
    next(type, predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = cursor; i < messages.length; i++) {
            const m = messages[i] as ServerMessage;
            if (m.type === type && (!predicate || predicate(m as never))) {
              cursor = i + 1;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m as never);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${type} within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(cursor))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Status of a refused upgrade (or 101 when accepted). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, "ws"), { headers });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve(101);
      ws.close();
    });
    ws.on("error", () => undefined);
  });
}
