/**
 * `npm run watch -- --user alice [--password …] [--url http://127.0.0.1:4321] [title or id …]`
 *
 * A small command-line client: signs in, opens the WebSocket with a ticket, subscribes to the
 * named documents (all visible ones when none is named) and prints every lock event as a line.
 */
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import {
  DocumentList,
  ErrorBody,
  LoginResult,
  RealtimeTicket,
  ServerMessage,
  documentRoom,
  type LockHolder,
} from "../protocol/index.js";

const USAGE =
  "Usage: npm run watch -- --user <name> [--password <pw>] [--url <server>] [document title or id …]\n" +
  "Password defaults to $DEMO_PASSWORD or lockstep-demo; the server to http://127.0.0.1:4321.";

class UsageError extends Error {}

async function call<T>(url: string, init: RequestInit, parse: (v: unknown) => T): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch {
    throw new UsageError(`Cannot reach ${new URL(url).origin}. Is the server running (npm run demo)?`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = ErrorBody.safeParse(body);
    throw new UsageError(err.success ? `${err.data.error.code}: ${err.data.error.message}` : `HTTP ${res.status}`);
  }
  return parse(body);
}

const who = (h: LockHolder): string => `${h.display_name} (${h.user_name}, window ${h.client_id})`;
const time = (iso: string): string => new Date(iso).toLocaleTimeString();

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { user: { type: "string" }, password: { type: "string" }, url: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
  });
  if (values.help || !values.user) throw new UsageError(USAGE);
  const base = (values.url ?? "http://127.0.0.1:4321").replace(/\/$/, "");
  const json = { "content-type": "application/json" };
  const login = await call(
    `${base}/api/auth/login`,
    { method: "POST", headers: json, body: JSON.stringify({ username: values.user, password: values.password ?? process.env.DEMO_PASSWORD ?? "lockstep-demo" }) },
    (v) => LoginResult.parse(v),
  );
  const auth = { authorization: `Bearer ${login.token}` };
  const { documents } = await call(`${base}/api/documents`, { headers: auth }, (v) => DocumentList.parse(v));
  const wanted = positionals.length === 0 ? documents : documents.filter((d) => positionals.includes(d.id) || positionals.includes(d.title));
  if (wanted.length === 0) throw new UsageError(`No visible document matches ${positionals.map((p) => `"${p}"`).join(", ")}.`);
  const titles = new Map(documents.map((d) => [d.id, d.title]));

  const { ticket } = await call(`${base}/api/realtime/ticket`, { method: "POST", headers: auth }, (v) => RealtimeTicket.parse(v));
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws?ticket=${encodeURIComponent(ticket)}`);
  ws.on("open", () => {
    console.log(`Signed in as ${login.user.display_name}; watching ${wanted.length} document(s). Ctrl+C stops.`);
    for (const d of wanted) ws.send(JSON.stringify({ type: "subscribe", room: documentRoom(d.id) }));
  });
  ws.on("message", (data) => {
    const parsed = ServerMessage.safeParse(JSON.parse(data.toString()));
    if (!parsed.success) return console.log(`? ${data.toString()}`);
    const m = parsed.data;
    const title = (id: string) => `"${titles.get(id) ?? id}"`;
    switch (m.type) {
      case "subscribed": {
        const id = m.room.slice("document:".length);
        return console.log(`${title(id)}: ${m.lock.holder ? `held by ${who(m.lock.holder)}` : "free"} (version ${m.version})`);
      }
      case "unsubscribed":
        return console.log(`left ${m.room} (${m.reason})`);
      case "error":
        return console.log(`error ${m.code}: ${m.message}${m.room ? ` [${m.room}]` : ""}`);
      case "document_locked":
        return console.log(`${time(m.at)} ${title(m.document_id)} locked by ${who(m.holder)}`);
      case "document_unlocked":
        return console.log(`${time(m.at)} ${title(m.document_id)} unlocked (${m.reason}) — was ${who(m.previous_holder)}`);
      case "document_force_taken":
        return console.log(`${time(m.at)} ${title(m.document_id)} taken over by ${who(m.holder)} from ${who(m.previous_holder)}`);
      case "document_updated":
        titles.set(m.document_id, m.title);
        return console.log(`${time(m.at)} ${title(m.document_id)} saved: version ${m.version}`);
      case "document_deleted":
        return console.log(`${time(m.at)} ${title(m.document_id)} deleted`);
      default: {
        const _never: never = m;
        return _never;
      }
    }
  });
  ws.on("close", (code, reason) => {
    console.log(`connection closed (${code}${reason.length ? `: ${reason.toString()}` : ""})`);
    process.exit(code === 1000 ? 0 : 1);
  });
  ws.on("error", (err) => console.error(`websocket error: ${err.message}`));
  process.on("SIGINT", () => ws.close(1000));
}

main().catch((err: unknown) => {
  console.error(err instanceof UsageError ? err.message : `watch: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
