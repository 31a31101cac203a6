/**
 * One load process of benchmark 4: simulated editors, each holding the lock of its own
 * document and heartbeating like the renderer's heartbeat loop (the next beat `heartbeatMs`
 * after the previous answer), each with its own WebSocket in the document's room, plus
 * viewers' WebSockets in the same room. Heartbeats share a keep-alive pool.
 *
 * Sockets are not bound to a source address before connecting: on this machine's kernel a
 * bind-before-connect with port 0 searches the port range each time and made connecting
 * ~60× slower (9,000 connections: 29 s instead of 0.5 s). So all load processes share one
 * ephemeral port range towards the server port (the orchestrator caps sockets accordingly).
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { serve } from "../lib/rpc.js";

interface Config {
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly heartbeatMs: number;
  /** Heartbeat requests in flight at most (keep-alive sockets); beyond it they queue here. */
  readonly maxSockets: number;
}

export interface EditorSpec {
  readonly documentId: string;
  readonly room: string;
  readonly editorToken: string;
  readonly clientId: string;
  readonly viewerTokens: readonly string[];
}

interface Editor {
  readonly spec: EditorSpec;
  lockToken: number;
  timer: NodeJS.Timeout | undefined;
  readonly sockets: WebSocket[];
}

let config: Config | undefined;
let agent: Agent | undefined;
const editors: Editor[] = [];
let stopped = false;
/** Heartbeat latencies (ms) since the last window() began; null outside a window. */
let samples: number[] | null = null;
const counters = { heartbeats: 0, lost: 0, errors: 0, unexpectedCloses: 0 };
const problems: string[] = [];

function note(problem: string): void {
  if (problems.length < 20) problems.push(problem);
}

function post(path: string, token: string, body: string): Promise<{ status: number; text: string }> {
  const c = config as Config;
  return new Promise((resolve, reject) => {
    const req = request(
      `${c.baseUrl}${path}`,
      {
        method: "POST",
        agent,
        timeout: 10_000,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out after 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}

function openSocket(token: string, room: string): Promise<WebSocket> {
  const c = config as Config;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(c.wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no subscribed answer within 30 s"));
    }, 30_000);
    let subscribed = false;
    ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", room })));
    ws.on("error", (err) => {
      clearTimeout(timer);
      if (!subscribed) reject(err);
      else counters.errors++;
    });
    ws.on("close", (code) => {
      if (subscribed && !stopped) {
        counters.unexpectedCloses++;
        note(`socket closed with ${code}`);
      }
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as { type?: string; reason?: string };
      if (msg.type === "subscribed") {
        subscribed = true;
        clearTimeout(timer);
        resolve(ws);
      } else if (msg.type === "document_unlocked" && msg.reason === "expired") {
        // Every editor holds its lock for the whole run: an announced expiry is a lost lock.
        counters.lost++;
        note(`document_unlocked (expired) in ${room}`);
      } else if (msg.type === "error") {
        counters.errors++;
        note(`socket error message: ${data.toString().slice(0, 200)}`);
      }
    });
  });
}

function scheduleBeat(editor: Editor, delayMs: number): void {
  if (stopped) return;
  editor.timer = setTimeout(() => void beat(editor), delayMs);
}

async function beat(editor: Editor): Promise<void> {
  const c = config as Config;
  const t0 = performance.now();
  try {
    const res = await post(
      `/api/documents/${editor.spec.documentId}/lock/heartbeat`,
      editor.spec.editorToken,
      JSON.stringify({ client_id: editor.spec.clientId, lock_token: editor.lockToken }),
    );
    counters.heartbeats++;
    samples?.push(performance.now() - t0);
    if (res.status === 200) {
      scheduleBeat(editor, c.heartbeatMs);
      return;
    }
    if (res.status === 404 || res.status === 409) {
      counters.lost++;
      note(`heartbeat ${res.status}: ${res.text.slice(0, 200)}`);
      return; // as the renderer: a lost lock is not beaten again
    }
    counters.errors++;
    note(`heartbeat ${res.status}: ${res.text.slice(0, 200)}`);
    scheduleBeat(editor, Math.min(c.heartbeatMs, 2_000));
  } catch (err) {
    counters.errors++;
    note(`heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
    scheduleBeat(editor, Math.min(c.heartbeatMs, 2_000));
  }
}

async function addEditor(spec: EditorSpec): Promise<void> {
  const editorSocket = await openSocket(spec.editorToken, spec.room);
  const res = await post(`/api/documents/${spec.documentId}/lock`, spec.editorToken, JSON.stringify({ client_id: spec.clientId }));
  if (res.status !== 200) throw new Error(`acquire answered ${res.status}: ${res.text.slice(0, 200)}`);
  const grant = JSON.parse(res.text) as { lock_token: number };
  const editor: Editor = { spec, lockToken: grant.lock_token, timer: undefined, sockets: [editorSocket] };
  editors.push(editor);
  // A random phase, so that beats spread over the interval as independent windows' would.
  scheduleBeat(editor, Math.random() * (config as Config).heartbeatMs);
  for (const token of spec.viewerTokens) editor.sockets.push(await openSocket(token, spec.room));
}

async function init(params: Config): Promise<void> {
  config = params;
  agent = new Agent({ keepAlive: true, maxSockets: params.maxSockets });
}

/** Adds editors (and their viewers), at most `parallel` being set up at once. */
async function grow(params: { editors: EditorSpec[]; parallel: number }): Promise<{ added: number; failed: number; ms: number }> {
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(params.parallel, params.editors.length) }, async () => {
      while (next < params.editors.length && !stopped) {
        const spec = params.editors[next++] as EditorSpec;
        try {
          await addEditor(spec);
        } catch (err) {
          failed++;
          note(`could not add editor: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  return { added: params.editors.length - failed, failed, ms: performance.now() - t0 };
}

/** Collects heartbeat latencies for `ms` and returns them with the counters so far. */
async function window(params: { ms: number }): Promise<{ samples: number[]; counters: typeof counters; problems: string[]; sockets: number; editors: number }> {
  samples = [];
  await new Promise((r) => setTimeout(r, params.ms));
  const taken = samples;
  samples = null;
  return { samples: taken, counters: { ...counters }, problems: [...problems], sockets: editors.reduce((n, e) => n + e.sockets.length, 0), editors: editors.length };
}

async function stop(_params?: unknown): Promise<void> {
  stopped = true;
  for (const e of editors) {
    clearTimeout(e.timer);
    for (const s of e.sockets) s.terminate();
  }
  agent?.destroy();
}

const handlers = { init, grow, window, stop };
export type EditorsLoadApi = typeof handlers;
serve(handlers);
