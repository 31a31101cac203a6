import {
  DocumentIdParams,
  ForceTakeResult,
  HeartbeatBody,
  LockClientBody,
  LockGrant,
  LockState,
  ReleaseResult,
} from "../../../protocol/index.js";
import { AppError, ForbiddenError } from "../../errors.js";
import type { LockOwner } from "../../locks/types.js";
import type { SessionInfo } from "../../store/index.js";
import type { HttpDeps } from "../deps.js";
import { defineRoute, type RouteDef } from "../route.js";
import { toGrant, toHolder, toLockState } from "../wire.js";

/** The five lock routes. Access is checked before the store is touched (404 / 403 first). */
export function lockRoutes(deps: HttpDeps): RouteDef[] {
  const { access, locks, metrics } = deps;
  const { documents } = deps.data;
  const ttl = locks.ttlMs;

  const owner = (session: SessionInfo, clientId: string): LockOwner => ({
    userId: session.user.id,
    userName: session.user.username,
    displayName: session.user.display_name,
    clientId,
  });

  /** Counts every lock call by operation and result (the error code, or ok). */
  const counted = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    try {
      const value = await run();
      metrics.lockOps.inc({ op, result: "ok" });
      return value;
    } catch (err) {
      metrics.lockOps.inc({ op, result: err instanceof AppError ? err.code : "internal" });
      throw err;
    }
  };

  return [
    defineRoute({
      method: "post",
      path: "/api/documents/:id/lock",
      summary: "Acquire the edit lock (idempotent for the same user and client)",
      tag: "locks",
      params: DocumentIdParams,
      body: LockClientBody,
      response: LockGrant,
      errors: ["not_found", "forbidden", "lock_held", "store_unavailable"],
      handler: ({ params, body, session }) =>
        counted("acquire", async () => {
          access.require(session.user.id, params.id, "edit");
          const { lock, refreshed } = await locks.acquire(params.id, owner(session, body.client_id));
          if (!refreshed) documents.raiseFence(params.id, lock.token);
          return toGrant(lock, session.user.id, ttl);
        }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/documents/:id/lock",
      summary: "Release my lock (idempotent; 403 when someone else holds it)",
      tag: "locks",
      params: DocumentIdParams,
      body: LockClientBody,
      response: ReleaseResult,
      errors: ["not_found", "forbidden", "not_lock_holder", "store_unavailable"],
      handler: ({ params, body, session }) =>
        counted("release", async () => {
          access.require(session.user.id, params.id, "edit");
          await locks.release(params.id, owner(session, body.client_id));
          return { locked: false as const };
        }),
    }),
    defineRoute({
      method: "get",
      path: "/api/documents/:id/lock",
      summary: "The lock state: who holds it and until when",
      tag: "locks",
      params: DocumentIdParams,
      response: LockState,
      errors: ["not_found", "store_unavailable"],
      handler: ({ params, session }) =>
        counted("get", async () => {
          access.require(session.user.id, params.id, "view");
          return toLockState(await locks.get(params.id), session.user.id);
        }),
    }),
    defineRoute({
      method: "post",
      path: "/api/documents/:id/lock/heartbeat",
      summary: "Keep my lock alive; 404 lock_expired when it is gone, 409 lock_taken when someone else holds it",
      tag: "locks",
      params: DocumentIdParams,
      body: HeartbeatBody,
      response: LockGrant,
      errors: ["not_found", "forbidden", "lock_expired", "lock_taken", "store_unavailable"],
      handler: ({ params, body, session }) =>
        counted("heartbeat", async () => {
          access.require(session.user.id, params.id, "edit");
          const lock = await locks.heartbeat(params.id, owner(session, body.client_id), body.lock_token);
          return toGrant(lock, session.user.id, ttl);
        }),
    }),
    defineRoute({
      method: "post",
      path: "/api/documents/:id/lock/force-take",
      summary: "Take the lock over: owners from anyone, everyone from themselves in another window",
      tag: "locks",
      params: DocumentIdParams,
      body: LockClientBody,
      response: ForceTakeResult,
      errors: ["not_found", "forbidden", "store_unavailable"],
      handler: ({ params, body, session }) =>
        counted("force_take", async () => {
          const { access: granted } = access.require(session.user.id, params.id, "force_take");
          if (granted.forceTake === null) throw new ForbiddenError();
          const { lock, previous } = await locks.forceTake(
            params.id,
            owner(session, body.client_id),
            granted.forceTake,
          );
          documents.raiseFence(params.id, lock.token);
          return {
            ...toGrant(lock, session.user.id, ttl),
            previous_holder: previous ? toHolder(previous, session.user.id) : null,
          };
        }),
    }),
  ];
}
