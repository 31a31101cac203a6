import { randomUUID } from "node:crypto";
import { pino } from "pino";
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
export async function startTestServer(config: ConfigInput = {}, deps: ServerDeps = {}): Promise<TestServer> {
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
  const demo = await seedDemo(server.data, DEMO_PASSWORD);
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
