import { openDataStore } from "../../server/store/index.js";
import { seedDemo } from "../../server/seed.js";

export interface Session {
  readonly userId: string;
  readonly username: string;
  /** Bearer token. */
  readonly token: string;
}

export interface Fixture {
  readonly databasePath: string;
  /** alice: owner of the application (may force-take from anyone). */
  readonly owner: Session;
  /** Editors of the application, one session each. */
  readonly editors: readonly Session[];
  /** Viewers of the application, one session each. */
  readonly viewers: readonly Session[];
  /** Application-scope documents every fixture user can see. */
  readonly documents: readonly string[];
}

export interface FixtureSize {
  readonly documents: number;
  readonly editors: number;
  readonly viewers: number;
}

/**
 * Writes a database the server processes then open: the demo workspace, `editors` and
 * `viewers` extra members of its application with a session each, and `documents` documents.
 * Built directly in SQLite (seconds for tens of thousands of rows) instead of through the API.
 */
export async function buildFixture(databasePath: string, size: FixtureSize): Promise<Fixture> {
  const data = openDataStore(databasePath, { scryptCost: 1024, sessionTtlMs: 24 * 3600 * 1000 });
  try {
    const demo = await seedDemo(data, "lockstep-bench");
    if (!demo) throw new Error(`${databasePath} already has users: the bench needs a fresh file`);
    const hash = await data.accounts.hashPassword("lockstep-bench");
    const session = (userId: string, username: string): Session => ({ userId, username, token: data.accounts.createSession(userId).token });
    return data.db.transaction(() => {
      const member = (role: "editor" | "viewer", i: number): Session => {
        const username = `bench-${role}-${i}`;
        const user = data.accounts.insertUser({ username, displayName: `Bench ${role} ${i}` }, hash);
        data.workspaces.setMember(demo.applicationId, user.id, role);
        return session(user.id, username);
      };
      const editors = Array.from({ length: size.editors }, (_, i) => member("editor", i));
      const viewers = Array.from({ length: size.viewers }, (_, i) => member("viewer", i));
      const documents = Array.from(
        { length: size.documents },
        (_, i) =>
          data.documents.create({
            scope: "application",
            applicationId: demo.applicationId,
            createdBy: demo.users.alice.id,
            title: `Bench document ${i}`,
            content: `# Bench document ${i}\n`,
          }).id,
      );
      return {
        databasePath,
        owner: session(demo.users.alice.id, "alice"),
        editors,
        viewers,
        documents,
      };
    })();
  } finally {
    data.close();
  }
}
