import { ErrorBody, LockGrant, type LockHolder } from "../../protocol/index.js";
import type { BeatReport, HeartbeatConfig } from "./heartbeat-loop.js";

/** Runs heartbeats somewhere (a worker, or this thread) and reports each raw answer. */
export interface HeartbeatDriver {
  start(config: HeartbeatConfig, onReport: (r: BeatReport) => void): void;
  stop(): void;
  /** Frees the worker, if any. */
  dispose(): void;
}

export type BeatOutcome =
  | { readonly kind: "ok"; readonly grant: LockGrant }
  /** 404: the lock is gone (expired, or the document with it). */
  | { readonly kind: "expired" }
  /** 409 lock_taken: someone else holds it now. */
  | { readonly kind: "taken"; readonly holder: LockHolder | null }
  | { readonly kind: "unauthenticated" }
  /** Network trouble, 503, anything unexpected: the lock may still be ours; keep trying. */
  | { readonly kind: "transient"; readonly message: string };

/** Parses one heartbeat answer with the protocol's schemas (the worker sends them raw). */
export function interpretBeat(report: BeatReport): BeatOutcome {
  if (report.kind === "network_error") return { kind: "transient", message: report.message };
  const { status, body } = report;
  if (status === 200) {
    const grant = LockGrant.safeParse(body);
    return grant.success ? { kind: "ok", grant: grant.data } : { kind: "transient", message: "unexpected heartbeat answer" };
  }
  const error = ErrorBody.safeParse(body);
  const code = error.success ? error.data.error.code : null;
  if (status === 401) return { kind: "unauthenticated" };
  if (status === 404) return { kind: "expired" }; // lock_expired, or not_found (document gone)
  if (status === 409) return { kind: "taken", holder: error.success ? (error.data.error.holder ?? null) : null };
  if (status === 403) return { kind: "taken", holder: null }; // no longer allowed to hold it
  return { kind: "transient", message: code ?? `HTTP ${status}` };
}
