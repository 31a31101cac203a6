/**
 * The subscribers of benchmark 3, in their own process: many WebSocket clients in one document
 * room. The same process sends the force-take (or the bare server's broadcast) and times, on
 * its one clock, how long until the last subscriber has the event.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { serve } from "../lib/rpc.js";

interface Subscriber {
  readonly ws: WebSocket;
  /** performance.now() of the current iteration's event, or 0. */
  receivedAt: number;
}

let subscribers: Subscriber[] = [];
let expected = "";
let received = 0;
let onAll: (() => void) | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function openOne(url: string, token: string, room: string, timeoutMs: number): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const sub: Subscriber = { ws, receivedAt: 0 };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no subscribed answer in time"));
    }, timeoutMs);
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", room })));
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as { type?: string; holder?: { client_id?: string } };
      if (msg.type === "subscribed") {
        clearTimeout(timer);
        resolve(sub);
      } else if (msg.type === "document_force_taken" && msg.holder?.client_id === expected && sub.receivedAt === 0) {
        sub.receivedAt = performance.now();
        received++;
        if (received === subscribers.length) onAll?.();
      }
    });
  });
}

async function connect(params: { wsUrl: string; tokens: string[]; room: string; count: number }): Promise<{ connected: number }> {
  const batch = 100;
  for (let i = subscribers.length; i < params.count; i += batch) {
    const n = Math.min(batch, params.count - i);
    const opened = await Promise.all(
      Array.from({ length: n }, (_, j) => openOne(params.wsUrl, params.tokens[(i + j) % params.tokens.length] as string, params.room, 30_000)),
    );
    subscribers.push(...opened);
  }
  return { connected: subscribers.length };
}

function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

export interface FanoutSamples {
  /** Trigger sent → last subscriber has the event, ms, one per completed iteration. */
  readonly last: number[];
  /** Trigger sent → first subscriber has it. */
  readonly first: number[];
  /** Trigger sent → HTTP answer. */
  readonly http: number[];
  /** Iterations where not every subscriber got the event within the timeout. */
  readonly incomplete: number;
}

/**
 * `iterations` times: a new client id takes the lock (or the bare server broadcasts it), and
 * the time until each subscriber has the matching event is recorded.
 */
async function fanout(params: {
  kind: "lockstep" | "bare";
  baseUrl: string;
  documentId: string;
  room: string;
  ownerToken: string;
  iterations: number;
  gapMs: number;
  runId: string;
}): Promise<FanoutSamples> {
  const out = { last: [] as number[], first: [] as number[], http: [] as number[], incomplete: 0 };
  for (let i = 0; i < params.iterations; i++) {
    expected = `ft-${params.runId}-${i}`;
    received = 0;
    for (const s of subscribers) s.receivedAt = 0;
    const all = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      onAll = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    const t0 = performance.now();
    const status =
      params.kind === "lockstep"
        ? await post(
            `${params.baseUrl}/api/documents/${params.documentId}/lock/force-take`,
            { authorization: `Bearer ${params.ownerToken}`, "content-type": "application/json" },
            JSON.stringify({ client_id: expected }),
          )
        : await post(`${params.baseUrl}/broadcast?room=${encodeURIComponent(params.room)}&client_id=${expected}`, { "content-type": "application/json" }, "{}");
    const httpMs = performance.now() - t0;
    if (status !== 200) throw new Error(`trigger answered ${status}`);
    const complete = await all;
    onAll = undefined;
    if (!complete) {
      out.incomplete++;
    } else {
      const times = subscribers.map((s) => s.receivedAt - t0);
      out.last.push(Math.max(...times));
      out.first.push(Math.min(...times));
      out.http.push(httpMs);
    }
    await new Promise((r) => setTimeout(r, params.gapMs));
  }
  return out;
}

async function close(_params?: unknown): Promise<{ closed: number }> {
  const n = subscribers.length;
  for (const s of subscribers) s.ws.terminate();
  subscribers = [];
  return { closed: n };
}

const handlers = { connect, fanout, close };
export type WsClientsApi = typeof handlers;
serve(handlers);
