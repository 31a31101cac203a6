import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloseCode, documentRoom, type ServerMessage } from "../../protocol/index.js";
import { createRealtime, type ConnectionSnapshot, type SocketHandlers } from "../../src-renderer/realtime/socket.js";
import { createConnectionStore, describeConnection } from "../../src-renderer/state/connection.js";
import { buildHolder, DOC, DOC2 } from "./renderer-factories.js";

/** A socket the test drives: what the client sent, and handles to open/close/message it. */
interface FakeSocket {
  url: string;
  sent: unknown[];
  handlers: SocketHandlers;
  closed: number | null;
}

function setup(options: { random?: () => number; ticket?: () => Promise<string>; sendBurst?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const messages: ServerMessage[] = [];
  const statuses: ConnectionSnapshot[] = [];
  const opens: boolean[] = [];
  let revoked = 0;
  let tickets = 0;
  const connection = createConnectionStore();
  const rt = createRealtime({
    getTicket: options.ticket ?? (async () => `t${++tickets}`),
    wsUrl: (t) => `ws://server/ws?ticket=${t}`,
    createSocket: (url, handlers) => {
      const s: FakeSocket = { url, sent: [], handlers, closed: null };
      sockets.push(s);
      return { send: (d) => void s.sent.push(JSON.parse(d)), close: (code) => void (s.closed = code ?? 1000) };
    },
    onStatus: (snap) => {
      statuses.push(snap);
      connection.getState().setSnapshot(snap);
    },
    onMessage: (m) => void messages.push(m),
    onOpen: (r) => void opens.push(r),
    onSessionRevoked: () => void revoked++,
    random: options.random ?? (() => 0.5),
    sendBurst: options.sendBurst ?? 20,
    sendIntervalMs: 1_000,
  });
  return { rt, sockets, messages, statuses, opens, connection, revoked: () => revoked };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const flush = () => vi.advanceTimersByTimeAsync(0);

describe("realtime client", () => {
  it("connects with a fresh ticket and subscribes to retained rooms on open", async () => {
    const t = setup();
    t.rt.retain(documentRoom(DOC));
    t.rt.start();
    await flush();
    expect(t.sockets).toHaveLength(1);
    expect(t.sockets[0]?.url).toBe("ws://server/ws?ticket=t1");
    expect(t.connection.getState().status).toBe("connecting");
    t.sockets[0]?.handlers.onOpen();
    expect(t.sockets[0]?.sent).toEqual([{ type: "subscribe", room: `document:${DOC}` }]);
    expect(t.connection.getState().status).toBe("open");
    expect(t.opens).toEqual([false]);
  });

  it("retain/release are counted: one subscribe, one unsubscribe", async () => {
    const t = setup();
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onOpen();
    const room = documentRoom(DOC);
    t.rt.retain(room);
    t.rt.retain(room);
    t.rt.release(room);
    expect(t.sockets[0]?.sent).toEqual([{ type: "subscribe", room }]);
    t.rt.release(room);
    expect(t.sockets[0]?.sent).toEqual([{ type: "subscribe", room }, { type: "unsubscribe", room }]);
  });

  it("reconnects with full-jitter exponential backoff, a new ticket each time, and resubscribes", async () => {
    const t = setup({ random: () => 0.5 });
    t.rt.retain(documentRoom(DOC));
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onOpen();
    t.sockets[0]?.handlers.onClose(CloseCode.serviceRestart, "restart");
    expect(t.connection.getState()).toMatchObject({ status: "reconnecting", attempt: 1 });
    // attempt 0: 0.5 * min(30000, 500 * 2^0) = 250 ms
    await vi.advanceTimersByTimeAsync(249);
    expect(t.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.sockets).toHaveLength(2);
    expect(t.sockets[1]?.url).toBe("ws://server/ws?ticket=t2");
    // Fails again before opening: attempt 1 -> 0.5 * 1000 = 500 ms
    t.sockets[1]?.handlers.onClose(1006, "");
    await vi.advanceTimersByTimeAsync(499);
    expect(t.sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.sockets).toHaveLength(3);
    t.sockets[2]?.handlers.onOpen();
    expect(t.sockets[2]?.sent).toEqual([{ type: "subscribe", room: `document:${DOC}` }]);
    expect(t.connection.getState()).toMatchObject({ status: "open", attempt: 0 });
    expect(t.opens).toEqual([false, true]);
  });

  it("a failed ticket request also backs off", async () => {
    let n = 0;
    const t = setup({
      ticket: async () => {
        if (++n === 1) throw new Error("503");
        return "ok";
      },
    });
    t.rt.start();
    await flush();
    expect(t.sockets).toHaveLength(0);
    expect(t.connection.getState()).toMatchObject({ status: "reconnecting", lastError: "ticket: 503" });
    await vi.advanceTimersByTimeAsync(250);
    expect(t.sockets).toHaveLength(1);
  });

  it("parses messages with the protocol; malformed ones are reported, not dispatched", async () => {
    const t = setup();
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onOpen();
    const ok = { type: "document_locked", document_id: DOC, holder: buildHolder(), at: "2026-11-27T10:32:00.000Z" };
    t.sockets[0]?.handlers.onMessage(JSON.stringify(ok));
    t.sockets[0]?.handlers.onMessage(JSON.stringify({ type: "document_locked", document_id: "nope" }));
    t.sockets[0]?.handlers.onMessage("{not json");
    expect(t.messages).toEqual([ok]);
    expect(t.connection.getState().lastError).toBe("the server sent a frame that is not JSON");
  });

  it("4001 (session revoked) stops without reconnecting", async () => {
    const t = setup();
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onOpen();
    t.sockets[0]?.handlers.onClose(CloseCode.sessionRevoked, "revoked");
    expect(t.revoked()).toBe(1);
    expect(t.connection.getState().status).toBe("stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it("stop() closes the socket and ignores its late events", async () => {
    const t = setup();
    t.rt.start();
    await flush();
    const s = t.sockets[0];
    s?.handlers.onOpen();
    t.rt.stop();
    expect(s?.closed).toBe(1000);
    s?.handlers.onClose(1006, "");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.connection.getState().status).toBe("stopped");
  });

  it("paces subscriptions in bursts (the server limits frame rates)", async () => {
    const t = setup({ sendBurst: 2 });
    t.rt.retain(documentRoom(DOC));
    t.rt.retain(documentRoom(DOC2));
    t.rt.retain(documentRoom("77777777-7777-4777-8777-777777777777"));
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onOpen();
    expect(t.sockets[0]?.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.sockets[0]?.sent).toHaveLength(3);
  });

  it("reconnectNow skips the wait (the browser came back online)", async () => {
    const t = setup({ random: () => 0.99 });
    t.rt.start();
    await flush();
    t.sockets[0]?.handlers.onClose(1006, "");
    t.rt.reconnectNow();
    await flush();
    expect(t.sockets).toHaveLength(2);
  });
});

describe("connection badge", () => {
  it("describes each state", () => {
    expect(describeConnection({ status: "open", online: true, attempt: 0 })).toEqual({ tone: "ok", label: "Live" });
    expect(describeConnection({ status: "reconnecting", online: true, attempt: 2 }).label).toBe("Reconnecting…");
    expect(describeConnection({ status: "open", online: false, attempt: 0 })).toEqual({ tone: "bad", label: "Offline" });
  });
});
