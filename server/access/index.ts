import { ForbiddenError, NotFoundError } from "../errors.js";
import type { DocumentRow, Documents, Workspaces } from "../store/index.js";
import { documentAccess, type DocumentAccess } from "./policy.js";

export { canCreateIn, canManage, documentAccess } from "./policy.js";
export type { DocumentAccess, DocumentScopeInfo } from "./policy.js";

/** The actions a route or a room join asks about. */
export type DocumentAction = "view" | "edit" | "force_take" | "rename" | "delete";

export type Granted = Extract<DocumentAccess, { visible: true }>;

/**
 * The one access gate, used by REST routes and WebSocket room joins alike. Loads the document
 * and the caller's role, applies the policy, and throws NotFoundError (also for documents the
 * caller may not know about) or ForbiddenError (visible, but not this action).
 */
export class AccessControl {
  constructor(
    private readonly documents: Documents,
    private readonly workspaces: Workspaces,
  ) {}

  /** The policy's answer for an already loaded document. */
  accessTo(userId: string, doc: DocumentRow): DocumentAccess {
    const role = doc.application_id ? this.workspaces.roleOf(userId, doc.application_id) : undefined;
    return documentAccess(userId, doc, role);
  }

  /** Loads the document and checks `action`; returns both. */
  require(userId: string, documentId: string, action: DocumentAction): { doc: DocumentRow; access: Granted } {
    const doc = this.documents.get(documentId);
    if (!doc) throw new NotFoundError();
    const access = this.accessTo(userId, doc);
    if (!access.visible) throw new NotFoundError();
    if (!allows(access, action)) throw new ForbiddenError(forbiddenMessage(action));
    return { doc, access };
  }
}

export function allows(access: Granted, action: DocumentAction): boolean {
  switch (action) {
    case "view":
      return true;
    case "edit":
      return access.edit;
    case "force_take":
      return access.forceTake !== null;
    case "rename":
      return access.rename;
    case "delete":
      return access.delete;
    default: {
      const _never: never = action;
      return _never;
    }
  }
}

function forbiddenMessage(action: DocumentAction): string {
  switch (action) {
    case "edit":
    case "force_take":
      return "Viewers can read this document but not edit it.";
    case "rename":
      return "Your role does not allow renaming this document.";
    case "delete":
      return "Only the application's owners, or the editor who created it, can delete this document.";
    case "view":
      return "Not allowed.";
  }
}
