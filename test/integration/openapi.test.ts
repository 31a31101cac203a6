import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("GET /api/openapi.json", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("describes exactly the routes the server answers", async () => {
    const doc = (await t.call("GET", "/api/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "POST /api/auth/login",
        "POST /api/auth/logout",
        "GET /api/me",
        "GET /api/documents",
        "POST /api/documents",
        "GET /api/documents/{id}",
        "PUT /api/documents/{id}/content",
        "DELETE /api/documents/{id}",
        "POST /api/documents/{id}/lock",
        "DELETE /api/documents/{id}/lock",
        "GET /api/documents/{id}/lock",
        "POST /api/documents/{id}/lock/heartbeat",
        "POST /api/documents/{id}/lock/force-take",
      ]),
    );
    // Every documented operation exists: none answers with the unknown-route 404.
    const token = await t.login("alice");
    const sample = "00000000-0000-4000-8000-000000000000";
    for (const op of operations) {
      const [method, p] = op.split(" ") as [string, string];
      const reply = await t.call(method, p.replace(/\{[^}]+\}/g, sample), { token, body: method === "GET" ? undefined : {} });
      expect(reply.body?.error?.message ?? "", op).not.toMatch(/^No route/);
    }
    // The lock acquire operation documents its body and its 409.
    const acquire = doc.paths["/api/documents/{id}/lock"].post;
    expect(acquire.requestBody.content["application/json"].schema.required).toEqual(["client_id"]);
    expect(Object.keys(acquire.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404", "409", "503"]));
  });
});
