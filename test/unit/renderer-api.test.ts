import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiClient } from "../../src-renderer/api/client.js";
import { ApiError, NetworkError, UnexpectedResponseError } from "../../src-renderer/api/errors.js";
import { createHttp, parseRetryAfter, type HttpOptions } from "../../src-renderer/api/http.js";
import { buildDocument, buildGrant, buildHolder, DOC } from "./renderer-factories.js";

/** A scripted HTTP server on 127.0.0.1:0: each request takes the next answer of its path. */
interface Recorded {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}
type Answer = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };

let server: Server;
let base: string;
let script: Map<string, Answer[]>;
let requests: Recorded[];

function answer(path: string, ...answers: Answer[]): void {
  script.set(path, [...(script.get(path) ?? []), ...answers]);
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString()));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization, body: data ? JSON.parse(data) : undefined });
      const next = script.get(req.url ?? "")?.shift() ?? { status: 500, raw: "no script" };
      res.writeHead(next.status, { "Content-Type": "application/json", ...next.headers });
      res.end(next.raw ?? (next.body === undefined ? "" : JSON.stringify(next.body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  script = new Map();
  requests = [];
});

function client(overrides: Partial<HttpOptions> = {}) {
  const sleeps: number[] = [];
  let unauthenticated = 0;
  const http = createHttp({
    baseUrl: base,
    fetch: (input, init) => fetch(input, init),
    getToken: () => "tok-123",
    sleep: async (ms) => void sleeps.push(ms),
    onUnauthenticated: () => void unauthenticated++,
    ...overrides,
  });
  return { api: createApiClient(http), sleeps, unauthenticated: () => unauthenticated };
}

const lockPath = `/api/documents/${DOC}/lock`;

describe("api client", () => {
  it("sends the bearer token and JSON body, and parses the answer with the protocol schema", async () => {
    answer(lockPath, { status: 200, body: buildGrant() });
    const { api } = client();
    const grant = await api.acquireLock(DOC, "window-A1");
    expect(grant.lock_token).toBe(7);
    expect(requests).toEqual([{ method: "POST", url: lockPath, auth: "Bearer tok-123", body: { client_id: "window-A1" } }]);
  });

  it("turns a protocol error body into an ApiError carrying its data", async () => {
    answer(lockPath, {
      status: 409,
      body: { error: { code: "lock_held", message: "Bob is editing this document.", holder: buildHolder(), request_id: "r-1" } },
    });
    const { api } = client();
    const e = await api.acquireLock(DOC, "window-A1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 409, code: "lock_held", message: "Bob is editing this document.", transient: false });
    expect((e as ApiError).details.holder).toEqual(buildHolder());
    expect((e as ApiError).details.requestId).toBe("r-1");
  });

  it("carries current_version on version_conflict", async () => {
    answer(`/api/documents/${DOC}/content`, {
      status: 409,
      body: { error: { code: "version_conflict", message: "changed", current_version: 9 } },
    });
    const { api } = client();
    const e = (await api.saveContent(DOC, { content: "x", lock_token: 7, base_version: 3 }).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe("version_conflict");
    expect(e.details.currentVersion).toBe(9);
  });

  it("retries 503 politely, honouring Retry-After, then succeeds", async () => {
    const unavailable: Answer = {
      status: 503,
      headers: { "Retry-After": "2" },
      body: { error: { code: "store_unavailable", message: "The lock store is unavailable." } },
    };
    answer(lockPath, unavailable, unavailable, { status: 200, body: buildGrant() });
    const { api, sleeps } = client();
    await expect(api.acquireLock(DOC, "window-A1")).resolves.toMatchObject({ lock_token: 7 });
    expect(sleeps).toEqual([2_000, 2_000]);
    expect(requests).toHaveLength(3);
  });

  it("caps 503 attempts and the wait, then throws a transient ApiError", async () => {
    const unavailable: Answer = {
      status: 503,
      headers: { "Retry-After": "3600" },
      body: { error: { code: "store_unavailable", message: "down" } },
    };
    answer(lockPath, unavailable, unavailable, unavailable, unavailable, unavailable);
    const { api, sleeps } = client({ maxAttempts: 3, maxRetryDelayMs: 5_000 });
    const e = (await api.acquireLock(DOC, "window-A1").catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: "store_unavailable", transient: true });
    expect(e.details.retryAfterMs).toBe(3_600_000);
    expect(sleeps).toEqual([5_000, 5_000]);
    expect(requests).toHaveLength(3);
  });

  it("retries a 503 without a protocol body (a proxy) with the default wait", async () => {
    answer(`/api/documents/${DOC}`, { status: 503, raw: "<html>Service Unavailable</html>" }, { status: 200, body: buildDocument() });
    const { api, sleeps } = client({ retryDelayMs: 750 });
    await expect(api.document(DOC)).resolves.toMatchObject({ id: DOC });
    expect(sleeps).toEqual([750]);
  });

  it("does not retry other errors", async () => {
    answer(`${lockPath}/force-take`, { status: 403, body: { error: { code: "forbidden", message: "no" } } });
    const { api, sleeps } = client();
    await expect(api.forceTake(DOC, "window-A1").catch((e: ApiError) => e.code)).resolves.toBe("forbidden");
    expect(sleeps).toEqual([]);
  });

  it("a malformed success body surfaces as UnexpectedResponseError, never as data", async () => {
    answer(`/api/documents/${DOC}`, { status: 200, body: { ...buildDocument(), version: "three" } });
    const { api } = client();
    const e = await api.document(DOC).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnexpectedResponseError);
    expect((e as Error).message).toMatch(/version/);
  });

  it("a non-JSON error body is an UnexpectedResponseError", async () => {
    answer("/api/me", { status: 502, raw: "Bad gateway" });
    const { api } = client();
    await expect(api.me()).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it("401 on a request that carried a token reports the session as gone", async () => {
    answer("/api/me", { status: 401, body: { error: { code: "unauthenticated", message: "Sign in first" } } });
    const c = client();
    await expect(c.api.me()).rejects.toMatchObject({ code: "unauthenticated" });
    expect(c.unauthenticated()).toBe(1);
  });

  it("401 without a token (a failed login) does not", async () => {
    answer("/api/auth/login", { status: 401, body: { error: { code: "unauthenticated", message: "Wrong username or password" } } });
    const c = client({ getToken: () => null });
    await expect(c.api.login("alice", "nope")).rejects.toMatchObject({ code: "unauthenticated" });
    expect(c.unauthenticated()).toBe(0);
    expect(requests[0]?.auth).toBeUndefined();
  });

  it("204 answers resolve to undefined", async () => {
    answer(`/api/documents/${DOC}`, { status: 204 });
    await expect(client().api.deleteDocument(DOC)).resolves.toBeUndefined();
  });

  it("network failures: GETs are retried, other methods are not", async () => {
    const closed = createHttp({ baseUrl: "http://127.0.0.1:1", fetch: (i, init) => fetch(i, init), getToken: () => null, sleep: async () => undefined, maxAttempts: 3 });
    let calls = 0;
    const counting = createHttp({
      baseUrl: "http://127.0.0.1:1",
      fetch: (i, init) => {
        calls++;
        return fetch(i, init);
      },
      getToken: () => null,
      sleep: async () => undefined,
      maxAttempts: 3,
    });
    await expect(closed.request({ method: "GET", path: "/api/me", schema: null })).rejects.toBeInstanceOf(NetworkError);
    await expect(counting.request({ method: "GET", path: "/api/me", schema: null })).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toBe(3);
    calls = 0;
    await expect(counting.request({ method: "POST", path: "/api/auth/logout", schema: null })).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toBe(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("5")).toBe(5_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:29:00 GMT"))).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
