import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ErrorBody, ServerMessage, documentRoom } from "../../protocol/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, startTestServer, type TestServer } from "../helpers/server.js";
import { api } from "./helpers/api.js";
import { keepAlive, rawRequest, type RawResponse } from "./helpers/raw-http.js";
import { encodeFrame, openRawWebSocket } from "./helpers/raw-ws.js";
import { figure, runSeed, sleep, soak } from "./helpers/report.js";

/**
 * Property-based fuzzing of every REST route listed by GET /api/openapi.json (so new routes
 * are fuzzed without touching this file) and of WebSocket frames, against a real server on
 * real Redis. Properties: never a 5xx, never a dropped connection or a crash, every error in
 * the documented shape, the server keeps answering, and a rejected request changes nothing
 * (locks, documents, members, sessions).
 */

const HTTP_RUNS = soak(1_000, 20_000);
const WS_RUNS = soak(500, 10_000);
const RAW_FRAME_RUNS = soak(200, 5_000);
const TIMEOUT_MS = soak(120_000, 1_800_000);

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly body: JsonSchema | undefined;
}

/** Stand-ins resolved when a case runs, so cases follow documents that were recreated. */
const PLACEHOLDERS = ["$doc", "$personal", "$missing", "$app", "$project", "$bob", "$carol"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const placeholder = fc.constantFrom(...PLACEHOLDERS);
const ACTORS = ["alice", "bob", "carol", "dave"] as const;
type Actor = (typeof ACTORS)[number];

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const idChars = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_".split(""));

/** Sets a key as an own, enumerable property, `__proto__` included (JSON.stringify then emits it). */
function withKey(value: unknown, key: string, extra: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = { ...value };
  Object.defineProperty(copy, key, { value: extra, enumerable: true, writable: true, configurable: true });
  return copy;
}

function withoutKey(value: unknown, n: number): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 0) return value;
  const drop = keys[n % keys.length] as string;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== drop));
}

function replacedKey(value: unknown, n: number, extra: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 0) return value;
  return { ...value, [keys[n % keys.length] as string]: extra };
}

/** Mostly valid values, with a known share of the usual mistakes and attacks mixed in. */
const mutated = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: arb },
    {
      weight: 1,
      arbitrary: fc
        .tuple(arb, fc.constantFrom("__proto__", "constructor", "prototype", "admin", "role"), fc.jsonValue({ maxDepth: 2 }))
        .map(([v, k, x]) => withKey(v, k, x)),
    },
    { weight: 1, arbitrary: fc.tuple(arb, fc.nat()).map(([v, n]) => withoutKey(v, n)) },
    { weight: 1, arbitrary: fc.tuple(arb, fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([v, n, x]) => replacedKey(v, n, x)) },
  );

/** A generator of (mostly) valid values for a JSON schema from the OpenAPI document. */
function fromSchema(schema: JsonSchema, name = ""): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(s, name)));
  switch (schema.type) {
    case "object": {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, fromSchema(v, k)]));
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    case "string": {
      if (schema.format === "uuid") return fc.oneof({ weight: 4, arbitrary: placeholder }, { weight: 1, arbitrary: fc.uuid() });
      if (name === "username") return fc.oneof(fc.constantFrom(...ACTORS, "nobody"), fc.string({ unit: idChars, minLength: 2, maxLength: 32 }));
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 60, 200);
      return fc.oneof(
        { weight: 4, arbitrary: fc.string({ unit: idChars, minLength, maxLength }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
        { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
      );
    }
    case "integer":
      return fc.oneof(
        fc.integer({ min: 0, max: 5 }),
        fc.maxSafeInteger(),
        fc.constantFrom(-1, 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, -0),
      );
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(fromSchema(schema.items ?? {}), { maxLength: 3 });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Bodies no schema describes: prototype pollution attempts, odd JSON, deep nesting. */
const HOSTILE_BODIES = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"client_id":"abcdefgh12","__proto__":{"polluted":"yes"}}',
  '{"client_id":"abcdefgh12","client_id":"zzzzzzzz12"}',
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
  `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`,
  "null",
  "[]",
  '"just a string"',
  "1e999",
  "-0",
  "{",
  "\u0000",
  '{"content":"\\ud800"}',
  "\ufeff{}",
];

interface HttpCase {
  readonly op: Operation;
  readonly method: string;
  readonly params: readonly ({ p: Placeholder; upper: boolean } | { raw: string })[];
  readonly query: string;
  readonly auth: Actor | "none" | { raw: string };
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; text: string };
  readonly chunked: boolean;
}

function httpCase(op: Operation, hostHeader: string): fc.Arbitrary<HttpCase> {
  const segment = fc.oneof(
    { weight: 8, arbitrary: fc.record({ p: placeholder, upper: fc.constant(false) }) },
    { weight: 1, arbitrary: fc.record({ p: placeholder, upper: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.uuid().map((raw) => ({ raw })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ raw: encodeURIComponent(s) })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("..", ".", "%", "%00", "%zz", "%2F", "a%2Fb", "*", "__proto__", "constructor", "%E0%A4%A", "x".repeat(3_000), "x".repeat(20_000))
        .map((raw) => ({ raw })),
    },
  );
  const params = op.template.match(/\{\w+\}/g) ?? [];
  const query = fc.oneof(
    { weight: 6, arbitrary: fc.constant("") },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { maxLength: 4 })
        .map((kv) => `?${kv.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "?__proto__[polluted]=yes",
        "?constructor[prototype][polluted]=yes",
        "?a[b][c][d][e]=1",
        "?a=1&a=2&a=3",
        "?%",
        `?${"a=1&".repeat(2_000)}`,
        "?client_id=abcdefgh12&lock_token=1",
      ),
    },
  );
  const body = fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: "none" as const }) },
    ...(op.body ? [{ weight: 8, arbitrary: mutated(fromSchema(op.body)).map((value) => ({ kind: "json" as const, value })) }] : []),
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: "json" as const, value })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ kind: "raw" as const, text })) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_BODIES).map((text) => ({ kind: "raw" as const, text })) },
  );
  const headerName = fc
    .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
    .filter((n) => !["host", "content-length", "transfer-encoding", "connection", "authorization", "content-type", "expect", "upgrade", "content-encoding"].includes(n));
  return fc.record({
    op: fc.constant(op),
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") }),
    params: fc.tuple(...params.map(() => segment)),
    query,
    auth: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom<Actor | "none">(...ACTORS, "none") },
      { weight: 1, arbitrary: printable.map((s) => ({ raw: `Bearer ${s}` })) },
      { weight: 1, arbitrary: fc.constantFrom({ raw: "Basic Ym9iOmJvYg==" }, { raw: "Bearer" }, { raw: `Bearer ${"A".repeat(300)}` }) },
    ),
    headers: fc
      .tuple(
        fc.record(
          {
            "content-type": fc.constantFrom(
              "application/json",
              "application/json; charset=utf-8",
              "application/json; charset=utf-16",
              "application/json; charset=latin1",
              "text/plain",
              "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x",
              "application/merge-patch+json",
              "*/*",
              "garbage",
            ),
            "content-encoding": fc.constantFrom("gzip", "deflate", "br", "identity", "x-unknown"),
            "x-request-id": printable,
            origin: fc.constantFrom("https://evil.example", "null", `http://${hostHeader}`),
            host: fc.constantFrom("evil.example", hostHeader, `LOCALHOST:${hostHeader.split(":")[1]}`),
            "x-forwarded-for": fc.constantFrom("10.0.0.1", "1.2.3.4, 5.6.7.8", "garbage", ""),
            accept: fc.constantFrom("application/json", "text/html", "*/*"),
          },
          { requiredKeys: [] },
        ),
        fc.dictionary(headerName, printable, { maxKeys: 3 }),
      )
      .map(([known, extra]) => ({ ...extra, ...known })),
    body,
    chunked: fc.boolean(),
  });
}

describe("fuzzing REST routes and WebSocket frames (fast-check, real server, real Redis)", () => {
  let redis: TestRedis;
  let t: TestServer;
  const tokens = new Map<Actor, string>();
  const ids = {} as Record<Placeholder, string>;
  const baselineClient = clientId("baseline");

  /** (Re)creates what the cases refer to: a locked application document, bob's personal one, roles, sessions. */
  async function ensureWorld(): Promise<void> {
    const { data } = t.server;
    const { users, applicationId, projectId } = t.demo;
    data.workspaces.setMember(applicationId, users.alice.id, "owner");
    data.workspaces.setMember(applicationId, users.bob.id, "editor");
    data.workspaces.setMember(applicationId, users.carol.id, "viewer");
    data.workspaces.removeMember(applicationId, users.dave.id);
    if (!ids.$doc || !data.documents.get(ids.$doc)) {
      ids.$doc = data.documents.create({ scope: "application", applicationId, title: "Fuzzed", content: "fuzz", createdBy: users.alice.id }).id;
      const grant = await api(t.url, "POST", `/api/documents/${ids.$doc}/lock`, { token: tokens.get("alice") ?? (await t.login("alice")), body: { client_id: baselineClient } });
      if (grant.status !== 200) throw new Error(`baseline lock: ${grant.status}`);
    }
    if (!ids.$personal || !data.documents.get(ids.$personal)) {
      ids.$personal = data.documents.create({ scope: "personal", ownerUserId: users.bob.id, title: "Bob's", createdBy: users.bob.id }).id;
    }
    ids.$missing = "00000000-0000-4000-8000-000000000000";
    ids.$app = applicationId;
    ids.$project = projectId;
    ids.$bob = users.bob.id;
    ids.$carol = users.carol.id;
    for (const actor of ACTORS) {
      const token = tokens.get(actor);
      if (!token || !data.accounts.authenticate(token)) tokens.set(actor, data.accounts.createSession(users[actor].id).token);
    }
  }

  const resolve = (value: unknown): unknown => {
    if (typeof value === "string") return value.replace(/\$(doc|personal|missing|app|project|bob|carol)/g, (m) => ids[m as Placeholder]);
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: resolve(v), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return value;
  };

  /** Everything a rejected request must leave as it was. */
  async function world(): Promise<string> {
    const { data, locks } = t.server;
    const docs = [ids.$doc, ids.$personal];
    const held = await Promise.all(docs.map((id) => locks.get(id)));
    const rows = docs.map((id) => data.documents.getWithContent(id) ?? null);
    const counts = data.db
      .prepare(
        `SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM applications) AS applications,
                (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM sessions) AS sessions,
                (SELECT count(*) FROM users) AS users,
                (SELECT group_concat(application_id || user_id || role) FROM (SELECT * FROM members ORDER BY 1, 2)) AS members`,
      )
      .get();
    return JSON.stringify({ held, rows, counts });
  }

  const polluted = () => ({}) as Record<string, unknown>;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer(
      // A lock TTL longer than the run: the baseline lock must not change by itself.
      { redisUrl: redis.url, lockTtlMs: 600_000, loginRateLimit: 1_000_000 },
      { hub: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 } },
    );
    await ensureWorld();
  });
  afterAll(async () => {
    keepAlive.destroy();
    await t?.close();
    await redis?.stop();
  });

  it(`REST: ${HTTP_RUNS} generated requests over every route in /api/openapi.json: no 5xx, errors in shape, rejected requests change nothing`, async () => {
    const spec = (await api(t.url, "GET", "/api/openapi.json")).body as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
    };
    const operations: Operation[] = Object.entries(spec.paths).flatMap(([template, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        body: op.requestBody?.content["application/json"]?.schema,
      })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const host = new URL(t.url).host;
    const arbitrary = fc.oneof(...operations.map((op) => httpCase(op, host)));

    const statuses = new Map<number, number>();
    const perRoute = new Map<string, number>();
    /** Distinct problems -> how often, on which routes, and one example case. */
    const violations = new Map<string, { count: number; routes: Set<string>; example: string }>();
    let violationCount = 0;
    let cases = 0;
    const note = (problem: string, c: HttpCase) => {
      violationCount++;
      const seen = violations.get(problem) ?? { count: 0, routes: new Set<string>(), example: "" };
      seen.count++;
      seen.routes.add(`${c.op.method} ${c.op.template}`);
      seen.example ||= JSON.stringify({ method: c.method, params: c.params, query: c.query.slice(0, 80), auth: c.auth, headers: c.headers, body: c.body, chunked: c.chunked }).slice(0, 500);
      violations.set(problem, seen);
    };
    const seed = runSeed();

    const run = async (c: HttpCase): Promise<RawResponse> => {
      let i = 0;
      const path = c.op.template.replace(/\{\w+\}/g, () => {
        const seg = c.params[i++] as HttpCase["params"][number];
        if ("raw" in seg) return seg.raw;
        const id = ids[seg.p];
        return seg.upper ? id.toUpperCase() : id;
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(c.headers)) if (v !== undefined) headers[k] = v;
      if (c.auth !== "none") headers.authorization = typeof c.auth === "string" ? `Bearer ${tokens.get(c.auth)}` : c.auth.raw;
      const body = c.body.kind === "none" ? undefined : c.body.kind === "json" ? JSON.stringify(resolve(c.body.value)) : c.body.text;
      if (body !== undefined && headers["content-type"] === undefined && c.body.kind === "json") headers["content-type"] = "application/json";
      const request = { method: c.method, path: path + c.query, headers, ...(body === undefined ? {} : { body }), chunked: c.chunked };
      try {
        return await rawRequest(t.url, request);
      } catch {
        // A kept-alive connection the server had just closed (after a 400 or 431 it answers
        // with Connection: close) fails on reuse: that is the client's race, so try once on a
        // fresh connection. A failure there is the server's.
        return rawRequest(t.url, request, false);
      }
    };

    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        cases++;
        const before = await world();
        let res: RawResponse;
        try {
          res = await run(c);
        } catch (err) {
          note(`connection failed: ${String(err)}`, c);
          return;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        perRoute.set(`${c.op.method} ${c.op.template}`, (perRoute.get(`${c.op.method} ${c.op.template}`) ?? 0) + 1);
        const problems: string[] = [];
        if (res.status >= 500) problems.push(`answered ${res.status}: ${res.text.slice(0, 200)}`);
        const json = String(res.headers["content-type"] ?? "").startsWith("application/json");
        if (res.status >= 400 && json && c.method !== "HEAD") {
          const parsed = (() => {
            try {
              return ErrorBody.safeParse(JSON.parse(res.text)).success;
            } catch {
              return false;
            }
          })();
          if (!parsed) problems.push(`error body not in shape: ${res.text.slice(0, 200)}`);
          if (/at \w+ \(|node_modules|\.ts:\d+/.test(res.text)) problems.push("error body leaks a stack trace");
        }
        if (res.status >= 400 && (await world()) !== before) problems.push("a rejected request changed the state");
        if (polluted().polluted !== undefined || polluted().admin !== undefined) problems.push("Object.prototype was polluted");
        if (res.status < 400) await ensureWorld(); // a 2xx may legitimately change the world: put it back
        // Recorded, not thrown: the run goes on and reports every distinct problem, not just the first.
        for (const problem of problems) note(problem.replace(/"request_id":"[^"]*"/, "").slice(0, 120), c);
      }),
      { numRuns: HTTP_RUNS, seed },
    );

    // The server keeps answering, and a normal lock cycle still works.
    expect((await api(t.url, "GET", "/healthz")).status).toBe(200);
    const win = clientId("after");
    expect((await api(t.url, "POST", `/api/documents/${ids.$personal}/lock`, { token: tokens.get("bob") as string, body: { client_id: win } })).status).toBe(200);
    expect((await api(t.url, "DELETE", `/api/documents/${ids.$personal}/lock`, { token: tokens.get("bob") as string, body: { client_id: win } })).status).toBe(200);

    figure("fuzz REST", {
      seed,
      cases,
      routes: perRoute.size,
      operations_in_openapi: operations.length,
      statuses: [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(","),
      faults_injected: cases,
      violations: violationCount,
      distinct_problems: violations.size,
    });
    // This found 500s from bodies whose Content-Encoding does not decode and paths with bad
    // percent-encoding (fixed in server/http/errors.ts). Do not narrow the generators.
    expect([...violations].map(([problem, v]) => `${problem} (${v.count} cases, ${v.routes.size} routes) e.g. ${v.example}`)).toEqual([]);
    expect(perRoute.size).toBe(operations.length);
  }, TIMEOUT_MS);

  it(`WebSocket: ${WS_RUNS} generated frames: one well-formed answer each, nothing hidden leaks, no lock changes`, async () => {
    interface FuzzSocket {
      ws: WebSocket;
      raw: string[];
      closed: { code: number } | undefined;
    }
    const open = async (actor: Actor): Promise<FuzzSocket> => {
      const ws = new WebSocket(`${t.url.replace(/^http/, "ws")}/ws`, { headers: { authorization: `Bearer ${tokens.get(actor)}` } });
      const s: FuzzSocket = { ws, raw: [], closed: undefined };
      ws.on("message", (d) => s.raw.push(d.toString()));
      ws.on("close", (code) => (s.closed = { code }));
      ws.on("error", () => undefined);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      return s;
    };
    const sockets = new Map<Actor, FuzzSocket>();
    for (const actor of ACTORS) sockets.set(actor, await open(actor));

    const room = fc.oneof(
      { weight: 6, arbitrary: placeholder.map((p) => `document:${p}`) },
      { weight: 1, arbitrary: fc.uuid().map((u) => `document:${u.toUpperCase()}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `document:${s}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
    );
    const message = fc.record({ type: fc.constantFrom("subscribe", "unsubscribe"), room });
    const frame = fc.oneof(
      { weight: 6, arbitrary: mutated(message).map((value) => ({ kind: "json" as const, value })) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: "json" as const, value })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ kind: "text" as const, text })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: "binary" as const, bytes })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            '{"type":"subscribe","room":"document:$doc","__proto__":{"polluted":"yes"}}',
            '{"__proto__":{"type":"subscribe"},"room":"document:$doc"}',
            '{"type":"subscribe","type":"unsubscribe","room":"document:$doc"}',
            `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
            "x".repeat(70_000),
          )
          .map((text) => ({ kind: "text" as const, text })),
      },
    );
    const arbitrary = fc.record({ actor: fc.constantFrom(...ACTORS), frame });
    const replies = new Map<string, number>();
    const violations: string[] = [];
    let cases = 0;
    let reconnects = 0;
    const seed = runSeed();
    const hiddenFrom: Record<Actor, string[]> = { alice: [], bob: [], carol: [], dave: [] };

    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ actor, frame: f }) => {
        cases++;
        hiddenFrom.alice = [documentRoom(ids.$personal)];
        hiddenFrom.carol = [documentRoom(ids.$personal)];
        hiddenFrom.dave = [documentRoom(ids.$personal), documentRoom(ids.$doc)];
        const before = await world();
        let s = sockets.get(actor) as FuzzSocket;
        if (s.closed) {
          s = await open(actor);
          sockets.set(actor, s);
          reconnects++;
        }
        const seen = s.raw.length;
        const payload = f.kind === "binary" ? Buffer.from(f.bytes) : f.kind === "json" ? JSON.stringify(resolve(f.value)) : (resolve(f.text) as string);
        s.ws.send(payload, { binary: f.kind === "binary" });
        const deadline = Date.now() + 3_000;
        while (s.raw.length === seen && !s.closed && Date.now() < deadline) await sleep(2);
        const problems: string[] = [];
        if (s.closed) {
          if (!(s.closed.code === 1009 && payload.length > 64 * 1024)) problems.push(`closed with ${s.closed.code}`);
        } else if (s.raw.length === seen) {
          problems.push("no answer");
        } else {
          const parsed = ServerMessage.safeParse(JSON.parse(s.raw[seen] as string));
          if (!parsed.success) problems.push(`answer not in the protocol: ${s.raw[seen]}`);
          else {
            replies.set(parsed.data.type, (replies.get(parsed.data.type) ?? 0) + 1);
            if (parsed.data.type === "subscribed" && hiddenFrom[actor].includes(parsed.data.room)) problems.push(`${actor} joined hidden ${parsed.data.room}`);
          }
        }
        if ((await world()) !== before) problems.push("a frame changed the state");
        if (polluted().polluted !== undefined) problems.push("Object.prototype was polluted");
        if (problems.length > 0) {
          violations.push(`${actor} sent ${payload.slice(0, 80).toString()}: ${problems.join("; ")}`);
          return false;
        }
        return true;
      }),
      { numRuns: WS_RUNS, seed, endOnFailure: true },
    ).catch((err: unknown) => {
      violations.push(String(err).split("\n").slice(0, 12).join("\n"));
    });
    for (const s of sockets.values()) s.ws.close();
    expect((await api(t.url, "GET", "/healthz")).status).toBe(200);
    figure("fuzz WebSocket messages", {
      seed,
      cases,
      answers: [...replies].map(([k, n]) => `${k}x${n}`).join(","),
      reconnects_after_1009: reconnects,
      faults_injected: cases,
      violations: violations.length,
    });
    expect(violations).toEqual([]);
  }, TIMEOUT_MS);

  it(`WebSocket protocol: ${RAW_FRAME_RUNS} raw frames (bad opcodes, reserved bits, unmasked, truncated, random bytes): the server survives`, async () => {
    const chunk = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc
        .record({
          opcode: fc.integer({ min: 0, max: 15 }),
          fin: fc.boolean(),
          mask: fc.boolean(),
          rsv: fc.integer({ min: 0, max: 7 }),
          payload: fc.uint8Array({ maxLength: 300 }),
        })
        .map((f) => encodeFrame(f.opcode, Buffer.from(f.payload), { fin: f.fin, mask: f.mask, rsv: f.rsv })),
    );
    const arbitrary = fc.array(chunk, { minLength: 1, maxLength: 4 });
    const seed = runSeed();
    const closeCodes = new Map<string, number>();
    const violations: string[] = [];
    let cases = 0;
    const bearer = tokens.get("bob") as string;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (chunks) => {
        cases++;
        const before = await world();
        const raw = await openRawWebSocket(t.url, { authorization: `Bearer ${bearer}` });
        for (const c of chunks) await raw.write(c);
        const outcome = await Promise.race([raw.ended.then((e) => String(e.closeCode ?? "no close frame")), sleep(40).then(() => "still open")]);
        raw.destroy();
        closeCodes.set(outcome, (closeCodes.get(outcome) ?? 0) + 1);
        if ((await world()) !== before) {
          violations.push("raw frames changed the state");
          return false;
        }
        return true;
      }),
      { numRuns: RAW_FRAME_RUNS, seed, endOnFailure: true },
    ).catch((err: unknown) => {
      violations.push(String(err).split("\n").slice(0, 12).join("\n"));
    });
    expect((await api(t.url, "GET", "/healthz")).status).toBe(200);
    expect((await api(t.url, "GET", `/api/documents/${ids.$doc}/lock`, { token: tokens.get("carol") as string })).status).toBe(200);
    figure("fuzz WebSocket frames", {
      seed,
      cases,
      outcomes: [...closeCodes].map(([k, n]) => `${k.replace(/ /g, "_")}x${n}`).join(","),
      faults_injected: cases,
      violations: violations.length,
    });
    expect(violations).toEqual([]);
  }, TIMEOUT_MS);
});
