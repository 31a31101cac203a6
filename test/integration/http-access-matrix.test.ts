import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewDocument } from "../../server/store/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { clientId, startTestServer, type TestServer } from "../helpers/server.js";

/**
 * The design's access table, generated: every document and lock route x every scope x every
 * kind of caller -> the status the table says. One table, no hand-written cases.
 */
type Actor = "alice" | "bob" | "carol" | "dave" | "anonymous";
type Scope = "personal" | "application" | "project";
/** What a caller is to a document: from the design's table. */
type Standing = "owner" | "editor" | "viewer" | "hidden" | "anonymous";

function standing(actor: Actor, scope: Scope): Standing {
  if (actor === "anonymous") return "anonymous";
  if (scope === "personal") return actor === "bob" ? "owner" : "hidden"; // bob's personal document
  return ({ alice: "owner", bob: "editor", carol: "viewer", dave: "hidden" } as const)[actor];
}

interface RouteCase {
  readonly name: string;
  readonly method: string;
  readonly path: (id: string) => string;
  readonly body?: () => unknown;
  /** Status for a caller who is visible to the document, by standing. */
  readonly allowed: Record<"owner" | "editor" | "viewer", number>;
}

const ROUTES: RouteCase[] = [
  { name: "read", method: "GET", path: (id) => `/api/documents/${id}`, allowed: { owner: 200, editor: 200, viewer: 200 } },
  {
    name: "rename",
    method: "PATCH",
    path: (id) => `/api/documents/${id}`,
    body: () => ({ title: "Renamed" }),
    allowed: { owner: 200, editor: 200, viewer: 403 },
  },
  {
    // No lock is held: an editor's save is a 409 lock_not_held, a viewer's a 403.
    name: "save",
    method: "PUT",
    path: (id) => `/api/documents/${id}/content`,
    body: () => ({ content: "x", lock_token: 1, base_version: 1 }),
    allowed: { owner: 409, editor: 409, viewer: 403 },
  },
  {
    // Documents here are created by alice: an editor may delete only their own.
    name: "delete",
    method: "DELETE",
    path: (id) => `/api/documents/${id}`,
    allowed: { owner: 204, editor: 403, viewer: 403 },
  },
  {
    name: "acquire",
    method: "POST",
    path: (id) => `/api/documents/${id}/lock`,
    body: () => ({ client_id: clientId() }),
    allowed: { owner: 200, editor: 200, viewer: 403 },
  },
  {
    name: "release",
    method: "DELETE",
    path: (id) => `/api/documents/${id}/lock`,
    body: () => ({ client_id: clientId() }),
    allowed: { owner: 200, editor: 200, viewer: 403 },
  },
  { name: "lock state", method: "GET", path: (id) => `/api/documents/${id}/lock`, allowed: { owner: 200, editor: 200, viewer: 200 } },
  {
    // No lock is held: heartbeat says it expired.
    name: "heartbeat",
    method: "POST",
    path: (id) => `/api/documents/${id}/lock/heartbeat`,
    body: () => ({ client_id: clientId(), lock_token: 1 }),
    allowed: { owner: 404, editor: 404, viewer: 403 },
  },
  {
    // Free lock: a force-take is a plain acquire for anyone who may edit.
    name: "force-take",
    method: "POST",
    path: (id) => `/api/documents/${id}/lock/force-take`,
    body: () => ({ client_id: clientId() }),
    allowed: { owner: 200, editor: 200, viewer: 403 },
  },
];

const ACTORS: Actor[] = ["alice", "bob", "carol", "dave", "anonymous"];
const SCOPES: Scope[] = ["personal", "application", "project"];

function expected(route: RouteCase, actor: Actor, scope: Scope): number {
  const s = standing(actor, scope);
  if (s === "anonymous") return 401;
  if (s === "hidden") return 404;
  return route.allowed[s];
}

describe("authorisation matrix over HTTP (Redis store)", () => {
  let redis: TestRedis;
  let t: TestServer;
  const tokens = new Map<Actor, string | undefined>();

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ redisUrl: redis.url });
    for (const actor of ACTORS) tokens.set(actor, actor === "anonymous" ? undefined : await t.login(actor));
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const place = (scope: Scope): NewDocument => {
    const { users, applicationId, projectId } = t.demo;
    if (scope === "personal") return { scope, ownerUserId: users.bob.id };
    if (scope === "application") return { scope, applicationId };
    return { scope, applicationId, projectId };
  };

  const cases = ROUTES.flatMap((route) =>
    SCOPES.flatMap((scope) => ACTORS.map((actor) => ({ route, scope, actor }))),
  );

  it(`covers ${ROUTES.length} routes x ${SCOPES.length} scopes x ${ACTORS.length} callers`, async () => {
    const failures: string[] = [];
    for (const { route, scope, actor } of cases) {
      // A fresh document per case: no case depends on what another did (delete, locks).
      const creator = scope === "personal" ? t.demo.users.bob.id : t.demo.users.alice.id;
      const doc = t.server.data.documents.create({ ...place(scope), title: "Matrix", createdBy: creator });
      const reply = await t.call(route.method, route.path(doc.id), { token: tokens.get(actor), body: route.body?.() });
      const want = expected(route, actor, scope);
      if (reply.status !== want) {
        failures.push(`${route.name} ${scope} as ${actor}: got ${reply.status}, want ${want} ${JSON.stringify(reply.body)}`);
      }
      if (standing(actor, scope) === "hidden") {
        // Not visible looks exactly like not existing.
        expect(reply.body.error.code).toBe("not_found");
        expect(reply.body.error.message).toBe("Document not found.");
      }
    }
    expect(failures).toEqual([]);
    expect(cases.length).toBe(ROUTES.length * SCOPES.length * ACTORS.length);
  });

  it("answers a missing document exactly like a hidden one", async () => {
    const token = tokens.get("dave");
    const hidden = t.demo.documents.handbook as string;
    const missing = "00000000-0000-4000-8000-000000000000";
    for (const route of ROUTES) {
      const a = await t.call(route.method, route.path(hidden), { token, body: route.body?.() });
      const b = await t.call(route.method, route.path(missing), { token, body: route.body?.() });
      expect([a.status, a.body.error.code, a.body.error.message]).toEqual([b.status, b.body.error.code, b.body.error.message]);
    }
  });
});
