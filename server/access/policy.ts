import type { Role } from "../../protocol/index.js";
import type { ForceTakeFrom } from "../locks/types.js";

/** What the policy needs to know about a document. */
export interface DocumentScopeInfo {
  readonly scope: "personal" | "application" | "project";
  readonly owner_user_id: string | null;
  readonly application_id: string | null;
  readonly created_by: string | null;
}

/**
 * The answer for one user and one document. `visible: false` means the caller must behave
 * exactly as if the document did not exist (404). Read-only is a first-class answer:
 * `visible: true, edit: false`.
 */
export type DocumentAccess =
  | { readonly visible: false }
  | {
      readonly visible: true;
      /** Acquire / heartbeat / release the lock and save content. */
      readonly edit: boolean;
      /** Whose lock a force-take may replace; null: no force-take at all. */
      readonly forceTake: ForceTakeFrom | null;
      readonly rename: boolean;
      readonly delete: boolean;
    };

const HIDDEN: DocumentAccess = Object.freeze({ visible: false });

/**
 * The design's access table, in one place. `role` is the user's role in the document's
 * application (undefined for non-members and for personal documents).
 *
 * | who                          | see | edit | force-take          | delete            |
 * | personal doc, its owner      | yes | yes  | self (other window) | yes               |
 * | personal doc, anyone else    | 404 | 404  | 404                 | 404               |
 * | member owner                 | yes | yes  | anyone              | yes               |
 * | member editor                | yes | yes  | self                | if they created it|
 * | member viewer                | yes | no   | no                  | no                |
 * | not a member                 | 404 | 404  | 404                 | 404               |
 */
export function documentAccess(userId: string, doc: DocumentScopeInfo, role: Role | undefined): DocumentAccess {
  if (doc.scope === "personal") {
    if (doc.owner_user_id !== userId) return HIDDEN;
    return { visible: true, edit: true, forceTake: "self", rename: true, delete: true };
  }
  switch (role) {
    case undefined:
      return HIDDEN;
    case "owner":
      return { visible: true, edit: true, forceTake: "anyone", rename: true, delete: true };
    case "editor":
      return { visible: true, edit: true, forceTake: "self", rename: true, delete: doc.created_by === userId };
    case "viewer":
      return { visible: true, edit: false, forceTake: null, rename: false, delete: false };
    default: {
      const _never: never = role;
      return _never;
    }
  }
}

/** Who may create documents in an application, and manage its members and projects. */
export const canCreateIn = (role: Role | undefined): boolean => role === "owner" || role === "editor";
export const canManage = (role: Role | undefined): boolean => role === "owner";
