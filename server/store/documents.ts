import { randomUUID } from "node:crypto";
import type { Scope } from "../../protocol/index.js";
import type { Db } from "./db.js";

export interface DocumentRow {
  readonly id: string;
  readonly title: string;
  readonly scope: Scope;
  readonly owner_user_id: string | null;
  readonly application_id: string | null;
  readonly project_id: string | null;
  readonly created_by: string | null;
  readonly version: number;
  readonly updated_at: number;
  readonly updated_by: string | null;
}

export interface DocumentWithContent extends DocumentRow {
  readonly content: string;
}

export type NewDocument =
  | { scope: "personal"; ownerUserId: string }
  | { scope: "application"; applicationId: string }
  | { scope: "project"; applicationId: string; projectId: string };

export type SaveOutcome =
  | { readonly kind: "saved"; readonly version: number; readonly updatedAt: number }
  | { readonly kind: "not_found" }
  /** A newer lock grant was recorded: the token is stale. */
  | { readonly kind: "stale_token" }
  | { readonly kind: "version_conflict"; readonly currentVersion: number };

const COLUMNS =
  "id, title, scope, owner_user_id, application_id, project_id, created_by, version, updated_at, updated_by";

export class Documents {
  constructor(private readonly db: Db) {}

  create(input: NewDocument & { title: string; content?: string; createdBy: string }): DocumentWithContent {
    const now = Date.now();
    const row: DocumentWithContent = {
      id: randomUUID(),
      title: input.title,
      content: input.content ?? "",
      scope: input.scope,
      owner_user_id: input.scope === "personal" ? input.ownerUserId : null,
      application_id: input.scope === "personal" ? null : input.applicationId,
      project_id: input.scope === "project" ? input.projectId : null,
      created_by: input.createdBy,
      version: 1,
      updated_at: now,
      updated_by: input.createdBy,
    };
    this.db
      .prepare(
        `INSERT INTO documents (id, title, content, scope, owner_user_id, application_id, project_id, created_by, version, updated_at, updated_by)
         VALUES (@id, @title, @content, @scope, @owner_user_id, @application_id, @project_id, @created_by, @version, @updated_at, @updated_by)`,
      )
      .run(row);
    return row;
  }

  get(id: string): DocumentRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM documents WHERE id = ?`).get(id) as DocumentRow | undefined;
  }

  getWithContent(id: string): DocumentWithContent | undefined {
    return this.db.prepare(`SELECT ${COLUMNS}, content FROM documents WHERE id = ?`).get(id) as
      | DocumentWithContent
      | undefined;
  }

  /** Documents a user can see: their personal ones and those of applications they belong to. */
  visibleTo(userId: string): DocumentRow[] {
    return this.db
      .prepare(
        `SELECT ${COLUMNS} FROM documents
         WHERE owner_user_id = @userId
            OR application_id IN (SELECT application_id FROM members WHERE user_id = @userId)
         ORDER BY title COLLATE NOCASE, id`,
      )
      .all({ userId }) as DocumentRow[];
  }

  /** Documents of one application (any scope but personal): whose rooms a removed member leaves. */
  idsInApplication(applicationId: string): string[] {
    return (
      this.db.prepare("SELECT id FROM documents WHERE application_id = ?").all(applicationId) as { id: string }[]
    ).map((r) => r.id);
  }

  rename(id: string, title: string, userId: string): DocumentRow | undefined {
    this.db
      .prepare("UPDATE documents SET title = ?, updated_at = ?, updated_by = ? WHERE id = ?")
      .run(title, Date.now(), userId, id);
    return this.get(id);
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM documents WHERE id = ?").run(id).changes > 0;
  }

  /**
   * Records a lock grant's fencing token. Called after every acquire and force-take, before the
   * grant is answered: from then on, saves carrying an older token are refused here even if
   * they passed the lock check a moment earlier.
   */
  raiseFence(id: string, token: number): void {
    this.db.prepare("UPDATE documents SET lock_fence = max(lock_fence, ?) WHERE id = ?").run(token, id);
  }

  /**
   * The fenced save: one conditional UPDATE, so the token check, the version check and the
   * write are one atomic step (SQLite serialises writers, across processes too).
   */
  saveContent(input: { id: string; content: string; token: number; baseVersion: number; userId: string }): SaveOutcome {
    const now = Date.now();
    const result = this.db
      .prepare(
        `UPDATE documents
         SET content = @content, version = version + 1, lock_fence = @token, updated_at = @now, updated_by = @userId
         WHERE id = @id AND version = @baseVersion AND lock_fence <= @token`,
      )
      .run({ ...input, now });
    if (result.changes === 1) return { kind: "saved", version: input.baseVersion + 1, updatedAt: now };
    const row = this.db.prepare("SELECT version, lock_fence FROM documents WHERE id = ?").get(input.id) as
      | { version: number; lock_fence: number }
      | undefined;
    if (!row) return { kind: "not_found" };
    if (row.lock_fence > input.token) return { kind: "stale_token" };
    return { kind: "version_conflict", currentVersion: row.version };
  }
}
