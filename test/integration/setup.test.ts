import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LoginResult, Me, SetupStatus } from "../../protocol/index.js";
import { createServer, type LockstepServer } from "../../server/app.js";
import { isLoopbackAddress } from "../../server/realtime/guard.js";

describe("first-run setup (POST /api/setup)", () => {
  let server: LockstepServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const post = (body: unknown) =>
    fetch(`${server?.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const owner = { username: "olga", display_name: "Olga Owner", password: "correct-horse", application_name: "Olga's team" };

  it("creates the first owner once, signs her in, then refuses; bad input is a 400", async () => {
    server = await createServer({ logLevel: "silent", scryptCost: 1024 }, { logger: pino({ level: "silent" }), defaultMetrics: false });
    expect(SetupStatus.parse(await (await fetch(`${server.url}/api/setup`)).json())).toEqual({ needed: true });

    const bad = await post({ ...owner, password: "short" });
    expect(bad.status).toBe(400);
    expect(server.data.accounts.userCount()).toBe(0);

    const created = await post(owner);
    expect(created.status).toBe(201);
    const login = LoginResult.parse(await created.json());
    const me = Me.parse(await (await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${login.token}` } })).json());
    expect(me.memberships).toEqual([expect.objectContaining({ application_name: "Olga's team", role: "owner" })]);

    const again = await post({ ...owner, username: "mallory" });
    expect(again.status).toBe(409);
    expect(SetupStatus.parse(await (await fetch(`${server.url}/api/setup`)).json())).toEqual({ needed: false });
    expect(server.data.accounts.userCount()).toBe(1);
  });

  it("two setups at once: exactly one owner", async () => {
    server = await createServer({ logLevel: "silent", scryptCost: 1024 }, { logger: pino({ level: "silent" }), defaultMetrics: false });
    const statuses = (await Promise.all([post(owner), post({ ...owner, username: "other" })])).map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409]);
    expect(server.data.accounts.userCount()).toBe(1);
  });

  it("counts only this machine's loopback as local", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of [undefined, "", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1"]) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });
});
