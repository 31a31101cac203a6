import { Accounts } from "./accounts.js";
import { openDatabase, type Db } from "./db.js";
import { Documents } from "./documents.js";
import { Workspaces } from "./workspaces.js";

export { Accounts, Documents, Workspaces };
export type { Db };
export type { SessionInfo, UserRow } from "./accounts.js";
export type { DocumentRow, DocumentWithContent, NewDocument, SaveOutcome } from "./documents.js";
export type { ApplicationRow, MemberRow, ProjectRow } from "./workspaces.js";

/** The data store: one SQLite database behind three repositories. */
export interface DataStore {
  readonly db: Db;
  readonly accounts: Accounts;
  readonly workspaces: Workspaces;
  readonly documents: Documents;
  /** Throws when the database cannot answer (readiness probe). */
  ping(): void;
  close(): void;
}

export function openDataStore(
  path: string,
  options: { scryptCost: number; sessionTtlMs: number; ticketTtlMs?: number },
): DataStore {
  const db = openDatabase(path);
  return {
    db,
    accounts: new Accounts(db, options),
    workspaces: new Workspaces(db),
    documents: new Documents(db),
    ping: () => void db.prepare("SELECT 1").get(),
    close: () => db.close(),
  };
}
