import type { DataStore, NewDocument } from "./store/index.js";

export interface DemoWorkspace {
  readonly users: Readonly<Record<"alice" | "bob" | "carol" | "dave", { id: string; username: string }>>;
  readonly applicationId: string;
  readonly projectId: string;
  readonly documents: Readonly<Record<string, string>>;
}

const PEOPLE = [
  ["alice", "Alice Martin"],
  ["bob", "Bob Chen"],
  ["carol", "Carol Diaz"],
  ["dave", "Dave Okafor"],
] as const;

/**
 * The demo workspace: application "Acme" with alice = owner, bob = editor, carol = viewer, a
 * project "Website", dave with no membership, and documents in every scope. Does nothing and
 * returns undefined when the database already has users (a persisted demo database).
 */
export async function seedDemo(data: DataStore, password: string): Promise<DemoWorkspace | undefined> {
  if (data.accounts.userCount() > 0) return undefined;
  const hash = await data.accounts.hashPassword(password);
  return data.db.transaction(() => {
    const users = Object.fromEntries(
      PEOPLE.map(([username, displayName]) => [username, data.accounts.insertUser({ username, displayName }, hash)]),
    ) as unknown as DemoWorkspace["users"];
    const acme = data.workspaces.createApplication("Acme", users.alice.id);
    data.workspaces.setMember(acme.id, users.bob.id, "editor");
    data.workspaces.setMember(acme.id, users.carol.id, "viewer");
    const website = data.workspaces.createProject(acme.id, "Website");
    const doc = (title: string, content: string, place: NewDocument & { createdBy: string }) =>
      data.documents.create({ ...place, title, content }).id;
    const documents = {
      handbook: doc("Team handbook", "# Team handbook\n\nHow we work at Acme.\n", {
        scope: "application", applicationId: acme.id, createdBy: users.alice.id
      }),
      checklist: doc("Release checklist", "# Release checklist\n\n- [ ] Tag the release\n- [ ] Write the notes\n", {
        scope: "application", applicationId: acme.id, createdBy: users.bob.id
      }),
      homepage: doc("Homepage copy", "# Homepage\n\nLockstep: one editor at a time, everyone sees who.\n", {
        scope: "project", applicationId: acme.id, projectId: website.id, createdBy: users.alice.id
      }),
      launch: doc("Launch plan", "# Launch plan\n\n1. Announce\n2. Ship\n", {
        scope: "project", applicationId: acme.id, projectId: website.id, createdBy: users.bob.id
      }),
      aliceNotes: doc("Alice's notes", "Private notes.\n", {
        scope: "personal", ownerUserId: users.alice.id, createdBy: users.alice.id
      }),
      bobNotes: doc("Bob's notes", "Private notes.\n", {
        scope: "personal", ownerUserId: users.bob.id, createdBy: users.bob.id
      }),
    };
    return { users, applicationId: acme.id, projectId: website.id, documents };
  })();
}
