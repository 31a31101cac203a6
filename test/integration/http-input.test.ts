import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, LockGrant } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, startTestServer, type TestServer } from "../helpers/server.js";

describe("bad input over HTTP", () => {
  let redis: TestRedis;
  let t: TestServer;
  let bob: string;
  let doc: string;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, loginRateLimit: 5 });
    bob = await t.login("bob");
    doc = t.demo.documents.handbook as string;
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const expectError = (reply: { status: number; body: unknown }, status: number, code: string) => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    const body = ErrorBody.parse(reply.body);
    expect(body.error.code).toBe(code);
    expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/); // no stack traces
  };

  it.each([
    ["not-a-uuid"],
    ["..%2F..%2Fetc%2Fpasswd"],
    ["00000000-0000-0000-0000-00000000000g"],
    ["%00"],
    ["*"],
  ])("a malformed document id (%s) is a 400 before any store is touched", async (id) => {
    const reply = await t.call("POST", `/api/documents/${id}/lock`, { token: bob, body: { client_id: clientId() } });
    expectError(reply, 400, "invalid_input");
    expect((await redis.client().keys("*document_lock:*")).some((k) => k.includes(decodeURIComponent(id)))).toBe(false);
  });

  it.each([
    ["missing field", {}],
    ["wrong type", { client_id: 42 }],
    ["too short", { client_id: "x" }],
    ["bad characters", { client_id: "../../../../etc" }],
    ["extra field", { client_id: clientId(), admin: true }],
    ["__proto__ key", JSON.parse(`{"client_id":"${clientId()}","__proto__":{"admin":true}}`)],
    ["an array", [1, 2]],
  ])("lock body: %s -> 400", async (_name, body) => {
    expectError(await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body }), 400, "invalid_input");
  });

  it("lists which fields failed", async () => {
    const reply = await t.call("PUT", `/api/documents/${doc}/content`, { token: bob, body: { content: 5, lock_token: -1 } });
    expectError(reply, 400, "invalid_input");
    const paths = (reply.body.error.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["body.content", "body.lock_token", "body.base_version"]));
  });

  it("bad JSON -> 400, wrong content type -> 415, oversized -> 413", async () => {
    expectError(
      await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: "{\"client_id\":", headers: { "content-type": "application/json" } }),
      400,
      "invalid_input",
    );
    expectError(
      await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: "client_id=abc", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: "x", headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    const huge = JSON.stringify({ content: "x".repeat(6 * 1024 * 1024), lock_token: 1, base_version: 1 });
    expectError(await t.call("PUT", `/api/documents/${doc}/content`, { token: bob, body: huge }), 413, "payload_too_large");
    // Deeply nested JSON is parsed by V8 without recursion limits in our code; the schema refuses it.
    const deep = "[".repeat(5_000) + "]".repeat(5_000);
    expectError(await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: deep }), 400, "invalid_input");
  });

  it("no token, a malformed token and a revoked token are 401", async () => {
    expectError(await t.call("GET", "/api/documents"), 401, "unauthenticated");
    expectError(await t.call("GET", "/api/documents", { headers: { authorization: "Bearer nope" } }), 401, "unauthenticated");
    expectError(await t.call("GET", "/api/documents", { headers: { authorization: "Basic Ym9iOmJvYg==" } }), 401, "unauthenticated");
    const token = await t.login("carol");
    expect((await t.call("GET", "/api/me", { token })).status).toBe(200);
    expect((await t.call("POST", "/api/auth/logout", { token })).status).toBe(204);
    expectError(await t.call("GET", "/api/me", { token }), 401, "unauthenticated");
  });

  it("unknown routes answer 404 in the error shape; the server keeps serving", async () => {
    expectError(await t.call("GET", "/api/nope", { token: bob }), 404, "not_found");
    expect((await t.call("GET", "/healthz")).status).toBe(200);
    const grant = await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: { client_id: clientId() } });
    expect(LockGrant.safeParse(grant.body).success).toBe(true);
  });

  it("refuses an unexpected Host header (DNS rebinding)", async () => {
    // fetch() will not send a foreign Host header; node:http will.
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${t.url}/api/setup`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status("evil.example")).toBe(403);
    expect(await status("evil.example:80")).toBe(403);
    expect(await status(`localhost:${t.server.port}`)).toBe(200);
  });

  it("rate-limits sign-in by socket address; X-Forwarded-For does not change the key", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const reply = await t.call("POST", "/api/auth/login", {
        body: { username: "alice", password: "wrong-password" },
        headers: { "x-forwarded-for": `10.0.0.${i}` },
      });
      statuses.push(reply.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});

describe("when Redis goes away", () => {
  let redis: TestRedis;
  let t: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url, redisCommandTimeoutMs: 500 });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it("lock routes answer 503 with Retry-After, others keep working, and it recovers without a restart", async () => {
    const bob = await t.login("bob");
    const doc = t.demo.documents.checklist as string;
    expect((await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: { client_id: clientId() } })).status).toBe(200);

    await redis.stop();
    const started = Date.now();
    const down = await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: { client_id: clientId() } });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect([down.status, down.body.error.code]).toEqual([503, "store_unavailable"]);
    expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await t.call("GET", "/readyz")).status).toBe(503);
    // Routes that do not need the lock store keep working.
    expect((await t.call("GET", "/api/me", { token: bob })).status).toBe(200);
    expect((await t.call("GET", "/healthz")).status).toBe(200);
    expect((await t.call("GET", "/api/applications", { token: bob })).status).toBe(200);
    // A route that needs the lock state fails before it writes anything.
    const title = t.server.data.documents.get(doc)?.title;
    expect((await t.call("PATCH", `/api/documents/${doc}`, { token: bob, body: { title: "Renamed while down" } })).status).toBe(503);
    expect(t.server.data.documents.get(doc)?.title).toBe(title);

    await redis.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await t.call("POST", `/api/documents/${doc}/lock`, { token: bob, body: { client_id: clientId() } })).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await t.call("GET", "/readyz")).status).toBe(200);
  });
});
