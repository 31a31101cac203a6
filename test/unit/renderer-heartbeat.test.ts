import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { interpretBeat } from "../../src-renderer/lock/heartbeat.js";
import { createHeartbeatLoop, type BeatReport, type HeartbeatConfig } from "../../src-renderer/lock/heartbeat-loop.js";
import { buildGrant, buildHolder } from "./renderer-factories.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const config: HeartbeatConfig = {
  url: "http://server/api/documents/d/lock/heartbeat",
  headers: { Authorization: "Bearer t" },
  clientId: "window-A1",
  lockToken: 7,
  intervalMs: 15_000,
};

function setup(answers: Array<{ status: number; body?: unknown; headers?: Record<string, string> } | "network">) {
  const calls: Array<{ url: string; body: unknown }> = [];
  const reports: BeatReport[] = [];
  const loop = createHeartbeatLoop(
    async (url, init) => {
      calls.push({ url, body: JSON.parse(String(init.body)) });
      const a = answers.shift() ?? { status: 200, body: buildGrant() };
      if (a === "network") throw new Error("ECONNREFUSED");
      return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status, headers: a.headers });
    },
    (r) => void reports.push(r),
    { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number), now: () => Date.now() },
  );
  return { loop, calls, reports };
}

describe("heartbeat loop", () => {
  it("beats every interval with the client id and fencing token", async () => {
    const t = setup([]);
    t.loop.start(config);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(t.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.calls).toEqual([{ url: config.url, body: { client_id: "window-A1", lock_token: 7 } }]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.calls).toHaveLength(3);
    expect(t.reports.every((r) => r.kind === "response" && r.status === 200)).toBe(true);
  });

  it("stops beating after 404 / 409 and reports them", async () => {
    const t = setup([{ status: 409, body: { error: { code: "lock_taken", message: "taken", holder: buildHolder() } } }]);
    t.loop.start(config);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.calls).toHaveLength(1);
    expect(interpretBeat(t.reports[0] as BeatReport)).toEqual({ kind: "taken", holder: buildHolder() });
  });

  it("after a network error retries sooner than a full interval", async () => {
    const t = setup(["network"]);
    t.loop.start(config);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(t.reports[0]).toMatchObject({ kind: "network_error" });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.calls).toHaveLength(2);
  });

  it("on 503 honours Retry-After but never waits past one interval", async () => {
    const t = setup([{ status: 503, headers: { "Retry-After": "3" } }, { status: 503, headers: { "Retry-After": "600" } }]);
    t.loop.start(config);
    await vi.advanceTimersByTimeAsync(15_000 + 3_000);
    expect(t.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(t.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.calls).toHaveLength(3);
  });

  it("stop() silences a beat already in flight", async () => {
    let release: (r: Response) => void = () => undefined;
    const reports: BeatReport[] = [];
    const loop = createHeartbeatLoop(
      () => new Promise<Response>((r) => (release = r)),
      (r) => void reports.push(r),
      { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number), now: () => Date.now() },
    );
    loop.start(config);
    await vi.advanceTimersByTimeAsync(15_000);
    loop.stop();
    release(new Response(JSON.stringify(buildGrant()), { status: 200 }));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reports).toEqual([]);
  });
});

describe("interpretBeat", () => {
  const r = (status: number, body: unknown): BeatReport => ({ kind: "response", status, body, retryAfter: null, sentAt: 0 });
  it("maps answers with the protocol schemas", () => {
    expect(interpretBeat(r(200, buildGrant()))).toEqual({ kind: "ok", grant: buildGrant() });
    expect(interpretBeat(r(200, { locked: true }))).toMatchObject({ kind: "transient" });
    expect(interpretBeat(r(404, { error: { code: "lock_expired", message: "gone" } }))).toEqual({ kind: "expired" });
    expect(interpretBeat(r(401, null))).toEqual({ kind: "unauthenticated" });
    expect(interpretBeat(r(503, { error: { code: "store_unavailable", message: "down" } }))).toEqual({
      kind: "transient",
      message: "store_unavailable",
    });
    expect(interpretBeat({ kind: "network_error", message: "offline", sentAt: 0 })).toEqual({ kind: "transient", message: "offline" });
  });
});
