import type { z } from "zod";
import {
  Document,
  DocumentCreateBody,
  DocumentIdParams,
  DocumentList,
  DocumentPatchBody,
  SaveContentBody,
  SaveContentResult,
  type DocumentSummary,
} from "../../../protocol/index.js";
import { canCreateIn, type Granted } from "../../access/index.js";
import { ForbiddenError, LockHeldError, LockNotHeldError, NotFoundError, VersionConflictError } from "../../errors.js";
import type { LockRecord } from "../../locks/types.js";
import type { DocumentRow, NewDocument } from "../../store/index.js";
import type { HttpDeps } from "../deps.js";
import { defineRoute, type RouteDef } from "../route.js";
import { iso, toLockState, toPermissions } from "../wire.js";

export function documentRoutes(deps: HttpDeps): RouteDef[] {
  const { documents, workspaces } = deps.data;
  const { access, locks } = deps;

  const summary = (
    doc: DocumentRow,
    granted: Granted,
    lock: LockRecord | null | undefined,
    viewerId: string,
  ): z.input<typeof DocumentSummary> => ({
    id: doc.id,
    title: doc.title,
    scope: doc.scope,
    owner_user_id: doc.owner_user_id,
    application_id: doc.application_id,
    project_id: doc.project_id,
    version: doc.version,
    updated_at: iso(doc.updated_at),
    updated_by: doc.updated_by,
    lock: toLockState(lock, viewerId),
    permissions: toPermissions(granted),
  });

  /** Where a new document goes, checked against the caller's role (404 for non-members). */
  const placement = (userId: string, body: z.output<typeof DocumentCreateBody>): NewDocument => {
    if (body.scope === "personal") return { scope: "personal", ownerUserId: userId };
    let applicationId: string;
    let project: { projectId: string } | undefined;
    if (body.scope === "project") {
      const p = workspaces.getProject(body.project_id as string);
      if (!p || !workspaces.roleOf(userId, p.application_id)) throw new NotFoundError("Project");
      applicationId = p.application_id;
      project = { projectId: p.id };
    } else {
      applicationId = body.application_id as string;
    }
    const role = workspaces.roleOf(userId, applicationId);
    if (!role) throw new NotFoundError("Application");
    if (!canCreateIn(role)) throw new ForbiddenError("Viewers cannot create documents.");
    return project ? { scope: "project", applicationId, ...project } : { scope: "application", applicationId };
  };

  return [
    defineRoute({
      method: "get",
      path: "/api/documents",
      summary: "Documents I can see, each with its lock state and my permissions",
      tag: "documents",
      response: DocumentList,
      errors: ["store_unavailable"],
      handler: async ({ session }) => {
        const userId = session.user.id;
        const rows = documents.visibleTo(userId);
        const held = await locks.getMany(rows.map((d) => d.id));
        const list = rows.flatMap((doc) => {
          const granted = access.accessTo(userId, doc);
          return granted.visible ? [summary(doc, granted, held.get(doc.id), userId)] : [];
        });
        return { documents: list };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/documents",
      summary: "Create a document in my personal space, an application or a project",
      tag: "documents",
      largeBody: true,
      body: DocumentCreateBody,
      response: Document,
      status: 201,
      errors: ["not_found", "forbidden"],
      handler: ({ body, session }) => {
        const userId = session.user.id;
        const doc = documents.create({
          ...placement(userId, body),
          title: body.title,
          content: body.content ?? "",
          createdBy: userId,
        });
        const granted = access.accessTo(userId, doc);
        if (!granted.visible) throw new NotFoundError();
        return { ...summary(doc, granted, null, userId), content: doc.content };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/documents/:id",
      summary: "A document with its content and lock state",
      tag: "documents",
      params: DocumentIdParams,
      response: Document,
      errors: ["not_found", "store_unavailable"],
      handler: async ({ params, session }) => {
        const userId = session.user.id;
        const { access: granted } = access.require(userId, params.id, "view");
        const lock = await locks.get(params.id);
        // Read after the lock, so the content is at least as new as the lock state shown.
        const doc = documents.getWithContent(params.id);
        if (!doc) throw new NotFoundError();
        return { ...summary(doc, granted, lock, userId), content: doc.content };
      },
    }),
    defineRoute({
      method: "patch",
      path: "/api/documents/:id",
      summary: "Rename a document (owners and editors; no lock needed)",
      tag: "documents",
      params: DocumentIdParams,
      body: DocumentPatchBody,
      response: Document,
      errors: ["not_found", "forbidden", "store_unavailable"],
      handler: async ({ params, body, session }) => {
        const userId = session.user.id;
        const { access: granted } = access.require(userId, params.id, "rename");
        // Read the lock first: with the lock store down this answers 503 before anything is
        // written, instead of renaming and then reporting a failure.
        const lock = await locks.get(params.id);
        documents.rename(params.id, body.title, userId);
        const doc = documents.getWithContent(params.id);
        if (!doc) throw new NotFoundError();
        await deps.bus.publish({
          kind: "document",
          event: {
            type: "document_updated",
            document_id: doc.id,
            version: doc.version,
            updated_by: userId,
            title: doc.title,
            at: iso(doc.updated_at),
          },
        });
        return { ...summary(doc, granted, lock, userId), content: doc.content };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/documents/:id/content",
      summary: "Save content; fenced: only with the current lock token of my lock and the current version",
      tag: "documents",
      largeBody: true,
      params: DocumentIdParams,
      body: SaveContentBody,
      response: SaveContentResult,
      errors: ["not_found", "forbidden", "lock_not_held", "version_conflict", "store_unavailable"],
      handler: async ({ params, body, session }) => {
        const userId = session.user.id;
        access.require(userId, params.id, "edit");
        const lock = await locks.assertHolds(params.id, userId, body.lock_token);
        if (body.client_id !== undefined && body.client_id !== lock.clientId) throw new LockNotHeldError();
        const outcome = documents.saveContent({
          id: params.id,
          content: body.content,
          token: body.lock_token,
          baseVersion: body.base_version,
          userId,
        });
        switch (outcome.kind) {
          case "not_found":
            throw new NotFoundError();
          case "stale_token":
            throw new LockNotHeldError();
          case "version_conflict":
            throw new VersionConflictError(outcome.currentVersion);
          case "saved":
            break;
          default: {
            const _never: never = outcome;
            return _never;
          }
        }
        deps.metrics.saves.inc();
        const doc = documents.get(params.id);
        await deps.bus.publish({
          kind: "document",
          event: {
            type: "document_updated",
            document_id: params.id,
            version: outcome.version,
            updated_by: userId,
            title: doc?.title ?? "",
            at: iso(outcome.updatedAt),
          },
        });
        return { version: outcome.version, updated_at: iso(outcome.updatedAt), updated_by: userId };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/documents/:id",
      summary: "Delete a document (owners, the personal owner, or the editor who created it)",
      tag: "documents",
      params: DocumentIdParams,
      status: 204,
      errors: ["not_found", "forbidden", "lock_held", "store_unavailable"],
      handler: async ({ params, session }) => {
        const userId = session.user.id;
        const { access: granted } = access.require(userId, params.id, "delete");
        const lock = await locks.get(params.id);
        // Deleting under somebody's hands is for owners only: it is a take-over and more.
        if (lock && lock.userId !== userId && granted.forceTake !== "anyone") throw new LockHeldError(lock);
        documents.delete(params.id);
        await deps.bus.publish({
          kind: "document",
          event: { type: "document_deleted", document_id: params.id, at: iso(Date.now()) },
        });
      },
    }),
  ];
}
