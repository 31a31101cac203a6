import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * Versioned migrations: index + 1 is the schema version kept in `PRAGMA user_version`.
 * Never edit a migration that has shipped; append a new one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE realtime_tickets (
    ticket_hash  TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
    expires_at   INTEGER NOT NULL
  );
  CREATE TABLE applications (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE members (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    PRIMARY KEY (application_id, user_id)
  );
  CREATE INDEX members_user ON members(user_id);
  CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
  );
  CREATE INDEX projects_application ON projects(application_id);
  CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    content        TEXT NOT NULL DEFAULT '',
    scope          TEXT NOT NULL CHECK (scope IN ('personal', 'application', 'project')),
    owner_user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications(id) ON DELETE CASCADE,
    project_id     TEXT REFERENCES projects(id) ON DELETE CASCADE,
    created_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    -- Highest lock fencing token granted for this document (raised on every grant). A save
    -- must carry a token >= this, so a stale holder cannot write after a newer grant.
    lock_fence     INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    updated_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    -- Project documents also carry their project's application: access is by application.
    CHECK (
      (scope = 'personal'    AND owner_user_id IS NOT NULL AND application_id IS NULL     AND project_id IS NULL) OR
      (scope = 'application' AND owner_user_id IS NULL     AND application_id IS NOT NULL AND project_id IS NULL) OR
      (scope = 'project'     AND owner_user_id IS NULL     AND application_id IS NOT NULL AND project_id IS NOT NULL)
    )
  );
  CREATE INDEX documents_owner ON documents(owner_user_id);
  CREATE INDEX documents_application ON documents(application_id);
  CREATE INDEX documents_project ON documents(project_id);
  `,
];

/** Opens (or creates) the database, in WAL mode, and brings its schema up to date. */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  // Several worker processes share one file: wait for a writer instead of failing at once.
  db.pragma("busy_timeout = 5000");
  migrate(db);
  cacheStatements(db);
  return db;
}

/**
 * Compiles each SQL text once. The repositories call `db.prepare(sql)` with constant SQL on
 * every query; compiling was ~10% of the server's CPU on the lock routes (bench/, row 2).
 * Safe because no caller keeps a statement in a mode (`pluck`, `raw`, `iterate`) across calls.
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = compile(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as Db["prepare"];
}

export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function migrate(db: Db): void {
  // IMMEDIATE: two workers starting at once must not both apply the same migration.
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > MIGRATIONS.length) {
      throw new Error(
        `The database schema (version ${current}) is newer than this server knows (${MIGRATIONS.length}). Upgrade the server.`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  run.immediate();
}
