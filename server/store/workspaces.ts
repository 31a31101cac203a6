import { randomUUID } from "node:crypto";
import type { Role } from "../../protocol/index.js";
import type { Db } from "./db.js";

export interface ApplicationRow {
  readonly id: string;
  readonly name: string;
}

export interface MemberRow {
  readonly user_id: string;
  readonly username: string;
  readonly display_name: string;
  readonly role: Role;
}

export interface ProjectRow {
  readonly id: string;
  readonly application_id: string;
  readonly name: string;
}

/** Applications, their members with roles, and their projects. */
export class Workspaces {
  constructor(private readonly db: Db) {}

  /** Creates an application with `ownerUserId` as its first owner. */
  createApplication(name: string, ownerUserId: string): ApplicationRow {
    const app = { id: randomUUID(), name };
    this.db.transaction(() => {
      this.db.prepare("INSERT INTO applications (id, name, created_at) VALUES (?, ?, ?)").run(app.id, name, Date.now());
      this.db
        .prepare("INSERT INTO members (application_id, user_id, role) VALUES (?, ?, 'owner')")
        .run(app.id, ownerUserId);
    })();
    return app;
  }

  getApplication(id: string): ApplicationRow | undefined {
    return this.db.prepare("SELECT id, name FROM applications WHERE id = ?").get(id) as ApplicationRow | undefined;
  }

  /** The applications a user belongs to, with their role. */
  applicationsOf(userId: string): (ApplicationRow & { role: Role })[] {
    return this.db
      .prepare(
        `SELECT a.id, a.name, m.role FROM applications a JOIN members m ON m.application_id = a.id
         WHERE m.user_id = ? ORDER BY a.name COLLATE NOCASE`,
      )
      .all(userId) as (ApplicationRow & { role: Role })[];
  }

  roleOf(userId: string, applicationId: string): Role | undefined {
    const row = this.db
      .prepare("SELECT role FROM members WHERE application_id = ? AND user_id = ?")
      .get(applicationId, userId) as { role: Role } | undefined;
    return row?.role;
  }

  members(applicationId: string): MemberRow[] {
    return this.db
      .prepare(
        `SELECT u.id AS user_id, u.username, u.display_name, m.role
         FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.application_id = ? ORDER BY u.username`,
      )
      .all(applicationId) as MemberRow[];
  }

  ownerCount(applicationId: string): number {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM members WHERE application_id = ? AND role = 'owner'")
        .get(applicationId) as { n: number }
    ).n;
  }

  /** Adds a member or changes their role. */
  setMember(applicationId: string, userId: string, role: Role): void {
    this.db
      .prepare(
        `INSERT INTO members (application_id, user_id, role) VALUES (?, ?, ?)
         ON CONFLICT (application_id, user_id) DO UPDATE SET role = excluded.role`,
      )
      .run(applicationId, userId, role);
  }

  removeMember(applicationId: string, userId: string): boolean {
    return (
      this.db.prepare("DELETE FROM members WHERE application_id = ? AND user_id = ?").run(applicationId, userId)
        .changes > 0
    );
  }

  createProject(applicationId: string, name: string): ProjectRow {
    const project = { id: randomUUID(), application_id: applicationId, name };
    this.db
      .prepare("INSERT INTO projects (id, application_id, name, created_at) VALUES (?, ?, ?, ?)")
      .run(project.id, applicationId, name, Date.now());
    return project;
  }

  getProject(id: string): ProjectRow | undefined {
    return this.db.prepare("SELECT id, application_id, name FROM projects WHERE id = ?").get(id) as
      | ProjectRow
      | undefined;
  }

  projects(applicationId: string): ProjectRow[] {
    return this.db
      .prepare("SELECT id, application_id, name FROM projects WHERE application_id = ? ORDER BY name COLLATE NOCASE")
      .all(applicationId) as ProjectRow[];
  }
}
