import { performance } from "node:perf_hooks";
import { api } from "./api.js";
import { chainedContent, contentHash, type OpKind, type OpRecord } from "./history.js";
import { sleep } from "./report.js";

/** One editor window of one user: its own session (bearer token) and client id. */
export interface ContentionClient {
  readonly name: string;
  readonly clientId: string;
  readonly bearer: string;
  /** Owners may force-take from anyone; everyone else only from themselves (else 403). */
  readonly owner: boolean;
}

export interface ContentionOptions {
  /** Each call goes to one of these servers, picked at random (several processes on one Redis). */
  readonly urls: readonly string[];
  readonly documentId: string;
  readonly clients: readonly ContentionClient[];
  readonly durationMs: number;
  /** The servers' lock TTL: a paused holder sleeps past it. */
  readonly ttlMs: number;
  readonly random: () => number;
}

export interface ContentionResult {
  readonly ops: OpRecord[];
  /** Faults injected by the clients themselves. */
  readonly pauses: number;
  readonly staleProbes: number;
  readonly forceTakes: number;
}

interface State {
  held: number | undefined;
  lastLost: number | undefined;
  version: number;
  content: string;
  seq: number;
}

/**
 * Runs every client concurrently for `durationMs`: random acquire / force-take / heartbeat /
 * save / release sequences against one document, plus two faults: a holder that pauses past
 * the TTL (stops heartbeating, then carries on with its stale token) and deliberate saves with
 * a token the client already lost. Every call is recorded with its start, end and result.
 */
export async function runContention(options: ContentionOptions): Promise<ContentionResult> {
  const { documentId: id, random, ttlMs } = options;
  const ops: OpRecord[] = [];
  let pauses = 0;
  let staleProbes = 0;
  let forceTakes = 0;
  const deadline = performance.now() + options.durationMs;
  const pick = () => options.urls[Math.floor(random() * options.urls.length)] as string;

  const call = async (
    c: ContentionClient,
    kind: OpKind,
    method: string,
    path: string,
    body: unknown,
    extra: Partial<OpRecord> = {},
  ) => {
    const start = performance.now();
    const reply = await api(pick(), method, path, { token: c.bearer, ...(body === undefined ? {} : { body }) });
    const end = performance.now();
    const ok = reply.status === 200;
    const answered: Partial<OpRecord> =
      (kind === "acquire" || kind === "force_take") && ok
        ? { token: reply.body.lock_token as number }
        : kind === "save" && ok
          ? { version: reply.body.version as number }
          : {};
    const code = reply.body?.error?.code as string | undefined;
    ops.push({ client: c.clientId, kind, start, end, status: reply.status, ...(code ? { code } : {}), ...extra, ...answered });
    return reply;
  };

  const read = async (c: ContentionClient, s: State) => {
    const reply = await call(c, "read", "GET", `/api/documents/${id}`, undefined);
    if (reply.status !== 200) throw new Error(`read: ${reply.status} ${JSON.stringify(reply.body)}`);
    s.version = reply.body.version as number;
    s.content = reply.body.content as string;
  };

  const lose = (s: State) => {
    s.lastLost = s.held;
    s.held = undefined;
  };

  const save = async (c: ContentionClient, s: State, token: number) => {
    const line = `${c.clientId}:${token}:${++s.seq}`;
    const content = chainedContent(s.content, line);
    const reply = await call(
      c,
      "save",
      "PUT",
      `/api/documents/${id}/content`,
      { content, lock_token: token, base_version: s.version, client_id: c.clientId },
      { token, content, parent: contentHash(s.content) },
    );
    if (reply.status === 200) {
      s.version = reply.body.version as number;
      s.content = content;
    }
    return reply;
  };

  const client = async (c: ContentionClient): Promise<void> => {
    const s: State = { held: undefined, lastLost: undefined, version: 0, content: "", seq: 0 };
    while (performance.now() < deadline) {
      const r = random();
      if (s.held === undefined) {
        if (r < 0.1) {
          await call(c, "get", "GET", `/api/documents/${id}/lock`, undefined);
          await sleep(50 + random() * 200);
          continue;
        }
        // Owners take over now and then (from anyone); editors try too (403 unless it is free).
        const force = r < (c.owner ? 0.13 : 0.105);
        if (force) forceTakes++;
        const reply = force
          ? await call(c, "force_take", "POST", `/api/documents/${id}/lock/force-take`, { client_id: c.clientId })
          : await call(c, "acquire", "POST", `/api/documents/${id}/lock`, { client_id: c.clientId });
        if (reply.status === 200) {
          s.held = reply.body.lock_token as number;
          await read(c, s);
        } else {
          // Held by someone else: wait a little, as a reader waiting for the lock would.
          await sleep(50 + random() * 200);
        }
        continue;
      }
      const token = s.held;
      if (r < 0.45) {
        const reply = await save(c, s, token);
        if (reply.body?.error?.code === "version_conflict") await read(c, s);
        else if (reply.status !== 200) lose(s);
      } else if (r < 0.7) {
        const reply = await call(c, "heartbeat", "POST", `/api/documents/${id}/lock/heartbeat`, { client_id: c.clientId, lock_token: token }, { token });
        if (reply.status !== 200) lose(s);
      } else if (r < 0.78) {
        await call(c, "release", "DELETE", `/api/documents/${id}/lock`, { client_id: c.clientId }, { token });
        lose(s);
        await sleep(random() * 20);
      } else if (r < 0.79) {
        // A holder whose timers stop (a laptop lid, a debugger): no heartbeat past the TTL.
        pauses++;
        await sleep(ttlMs + 100 + random() * 200);
      } else if (r < 0.9 && s.lastLost !== undefined) {
        // A save with a token this client already lost: must never be accepted.
        staleProbes++;
        await save(c, s, s.lastLost);
      } else {
        await sleep(random() * 5);
      }
    }
    if (s.held !== undefined) {
      await call(c, "release", "DELETE", `/api/documents/${id}/lock`, { client_id: c.clientId }, { token: s.held });
    }
  };

  await Promise.all(options.clients.map((c) => client(c)));
  return { ops, pauses, staleProbes, forceTakes };
}
