import { createHash } from "node:crypto";
import type { LockHolder, LockState, ServerMessage } from "../../../protocol/index.js";

/**
 * A recorded history of lock calls and its checker.
 *
 * The model: a document's lock is one register in Redis holding at most one fencing token at a
 * time, and the token only ever grows (every grant INCRs it). So if the history is
 * linearizable, the tokens that operations *prove current* must be ordered like real time:
 *
 * - a proof of token t is a successful grant (acquire / force-take), heartbeat or save with t:
 *   at some instant inside [start, end] of that call, t was the lock's token;
 * - a refutation of t is a failed heartbeat (404 / 409), a save refused with lock_not_held, or
 *   an acknowledged release by the client holding t: at some instant inside the call, t was no
 *   longer (and, since tokens only grow, never again) the lock's token.
 *
 * Violations:
 * - `overlap`: a proof of t starts after a proof of t' > t has ended. Then t' was current before
 *   t was current again: two holders in the linearized order (mutual exclusion broken), or a
 *   stale token accepted (a save acknowledged with t after a grant of a larger token had been
 *   acknowledged is exactly this case);
 * - `shared_token`: one token proven by two clients (two grants handed out the same token);
 * - `resurrected`: a proof of t starts after a refutation of t has ended;
 * - `save_history`: acknowledged saves do not form one chain of consecutive versions with
 *   non-decreasing tokens, each based on the previous one's content, that ends in the
 *   document's final content and version (a lost, duplicated, reordered or unacknowledged save).
 */

export type OpKind = "acquire" | "force_take" | "heartbeat" | "save" | "release" | "get" | "read";

export interface OpRecord {
  readonly client: string;
  readonly kind: OpKind;
  /** performance.now() when the call was sent and when its answer was read. */
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly code?: string;
  /**
   * acquire / force-take: the token granted; heartbeat / save: the token sent; release: the
   * token the client believed it held (absent when it believed it held none).
   */
  readonly token?: number;
  /** save: the version answered. */
  readonly version?: number;
  /** save: the content sent, and the hash of the content it was based on. */
  readonly content?: string;
  readonly parent?: string;
}

export interface HistoryVerdict {
  readonly operations: number;
  readonly proofs: number;
  readonly refutations: number;
  readonly grants: number;
  readonly acknowledgedSaves: number;
  readonly violations: readonly string[];
}

export const contentHash = (content: string): string => createHash("sha256").update(content).digest("base64url").slice(0, 22);

/** The content a save writes: chained to what it was based on, so the final content proves the chain. */
export const chainedContent = (previous: string, line: string): string => `${contentHash(previous)} ${line}`;

const isProof = (op: OpRecord): boolean =>
  op.status === 200 && op.token !== undefined && ["acquire", "force_take", "heartbeat", "save"].includes(op.kind);

const isRefutation = (op: OpRecord): boolean =>
  op.token !== undefined &&
  ((op.kind === "heartbeat" && (op.status === 404 || op.status === 409)) ||
    (op.kind === "save" && op.status === 409 && op.code === "lock_not_held") ||
    (op.kind === "release" && op.status === 200));

const describe = (op: OpRecord): string =>
  `${op.kind}(${op.client}, t=${op.token ?? "-"}) ${op.status}${op.code ? ` ${op.code}` : ""} [${op.start.toFixed(1)}..${op.end.toFixed(1)}]`;

export function checkHistory(
  ops: readonly OpRecord[],
  document: { readonly baseVersion: number; readonly baseContent: string; readonly finalVersion: number; readonly finalContent: string },
): HistoryVerdict {
  const violations: string[] = [];
  const proofs = ops.filter(isProof);
  const refutations = ops.filter(isRefutation);

  // shared_token: every token belongs to one client.
  const ownerOf = new Map<number, string>();
  for (const op of proofs) {
    const token = op.token as number;
    const owner = ownerOf.get(token);
    if (owner === undefined) ownerOf.set(token, op.client);
    else if (owner !== op.client) violations.push(`shared_token: t=${token} proven by ${owner} and by ${describe(op)}`);
  }

  // overlap: sweep proofs by start, with the largest token among proofs that ended before.
  const byStart = [...proofs].sort((a, b) => a.start - b.start);
  const byEnd = [...proofs].sort((a, b) => a.end - b.end);
  let cursor = 0;
  let maxEnded: OpRecord | undefined;
  for (const op of byStart) {
    while (cursor < byEnd.length && (byEnd[cursor] as OpRecord).end < op.start) {
      const ended = byEnd[cursor] as OpRecord;
      if (!maxEnded || (ended.token as number) > (maxEnded.token as number)) maxEnded = ended;
      cursor++;
    }
    if (maxEnded && (maxEnded.token as number) > (op.token as number)) {
      violations.push(`overlap: ${describe(op)} started after ${describe(maxEnded)} had ended`);
    }
  }

  // resurrected: no proof of t after a refutation of t.
  const firstRefuted = new Map<number, OpRecord>();
  for (const op of refutations) {
    const seen = firstRefuted.get(op.token as number);
    if (!seen || op.end < seen.end) firstRefuted.set(op.token as number, op);
  }
  for (const op of proofs) {
    const refuted = firstRefuted.get(op.token as number);
    if (refuted && op.start > refuted.end) violations.push(`resurrected: ${describe(op)} after ${describe(refuted)}`);
  }

  // save_history: one chain of acknowledged saves, ending in the document as it is.
  const saves = ops.filter((op) => op.kind === "save" && op.status === 200).sort((a, b) => (a.version ?? 0) - (b.version ?? 0));
  let previousContent = document.baseContent;
  let previousToken = 0;
  saves.forEach((op, i) => {
    const want = document.baseVersion + i + 1;
    if (op.version !== want) violations.push(`save_history: ${describe(op)} has version ${op.version}, want ${want} (duplicate or gap)`);
    if ((op.token as number) < previousToken) violations.push(`save_history: ${describe(op)} has a smaller token than the save before it (${previousToken})`);
    if (op.parent !== contentHash(previousContent)) violations.push(`save_history: ${describe(op)} was not based on the previous acknowledged save (lost update)`);
    previousContent = op.content ?? "";
    previousToken = op.token as number;
  });
  if (document.finalVersion !== document.baseVersion + saves.length) {
    violations.push(`save_history: final version ${document.finalVersion}, but ${saves.length} saves were acknowledged on version ${document.baseVersion}`);
  }
  if (document.finalContent !== previousContent) violations.push("save_history: the final content is not the last acknowledged save's");

  return {
    operations: ops.length,
    proofs: proofs.length,
    refutations: refutations.length,
    grants: proofs.filter((op) => op.kind === "acquire" || op.kind === "force_take").length,
    acknowledgedSaves: saves.length,
    violations,
  };
}

/**
 * Replays the lock events one room member received after its `subscribed` snapshot: each
 * change must start from the holder the previous one left (locked only when free; unlocked and
 * force-taken only from the current holder). Events from one server arrive in the order the
 * lock changed in Redis, so on one server any mismatch is a bug.
 */
export function checkLockEvents(snapshot: LockState, messages: readonly ServerMessage[]): { events: number; violations: string[] } {
  let holder: LockHolder | null = snapshot.holder;
  const violations: string[] = [];
  let events = 0;
  const same = (a: LockHolder | null, b: LockHolder) => a !== null && a.client_id === b.client_id && a.user_id === b.user_id;
  for (const m of messages) {
    switch (m.type) {
      case "document_locked":
        events++;
        if (holder !== null) violations.push(`#${events} locked by ${m.holder.client_id} while ${holder.client_id} held it`);
        holder = m.holder;
        break;
      case "document_force_taken":
        events++;
        if (!same(holder, m.previous_holder)) violations.push(`#${events} force-taken from ${m.previous_holder.client_id} while ${holder?.client_id ?? "nobody"} held it`);
        holder = m.holder;
        break;
      case "document_unlocked":
        events++;
        if (!same(holder, m.previous_holder)) violations.push(`#${events} ${m.reason} by ${m.previous_holder.client_id} while ${holder?.client_id ?? "nobody"} held it`);
        holder = null;
        break;
      default:
        break;
    }
  }
  return { events, violations };
}
