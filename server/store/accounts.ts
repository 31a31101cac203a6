import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from "node:crypto";
import type { Db } from "./db.js";

export interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly display_name: string;
}

export interface SessionInfo {
  readonly user: UserRow;
  /** SHA-256 of the bearer token: what is stored, and what identifies the session in events. */
  readonly sessionHash: string;
  readonly expiresAt: number;
}

const KEY_LEN = 32;

function scryptAsync(password: string, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes; r = 8.
    scrypt(password, salt, KEY_LEN, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$salt$hash`, base64url. */
export async function hashPassword(password: string, N: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N);
  return `scrypt$${N}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64url"), Number(n));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const sha256 = (value: string): string => createHash("sha256").update(value).digest("base64url");

/** 256 random bits, URL-safe. */
const newSecret = (): string => randomBytes(32).toString("base64url");

/** Users, sessions and realtime tickets. Tokens are stored hashed; the raw token only leaves once. */
export class Accounts {
  /** A hash to verify against when the user does not exist, so timing does not reveal usernames. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: { scryptCost: number; sessionTtlMs: number; ticketTtlMs?: number },
  ) {}

  userCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
  }

  /** Hashes a password at this server's cost; the slow part of creating a user, done outside transactions. */
  hashPassword(password: string): Promise<string> {
    return hashPassword(password, this.options.scryptCost);
  }

  async createUser(input: { username: string; displayName: string; password: string }): Promise<UserRow> {
    return this.insertUser(input, await this.hashPassword(input.password));
  }

  /** Inserts a user with an already computed hash (synchronous: usable inside a transaction). */
  insertUser(input: { username: string; displayName: string }, passwordHash: string): UserRow {
    const user: UserRow = { id: randomUUID(), username: input.username, display_name: input.displayName };
    this.db
      .prepare("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(user.id, user.username, user.display_name, passwordHash, Date.now());
    return user;
  }

  findUserByUsername(username: string): UserRow | undefined {
    return this.db
      .prepare("SELECT id, username, display_name FROM users WHERE username = ?")
      .get(username) as UserRow | undefined;
  }

  getUser(id: string): UserRow | undefined {
    return this.db.prepare("SELECT id, username, display_name FROM users WHERE id = ?").get(id) as
      | UserRow
      | undefined;
  }

  /** The user when the password matches; undefined otherwise (same work either way). */
  async checkPassword(username: string, password: string): Promise<UserRow | undefined> {
    const row = this.db
      .prepare("SELECT id, username, display_name, password_hash FROM users WHERE username = ?")
      .get(username) as (UserRow & { password_hash: string }) | undefined;
    if (!row) {
      this.dummyHash ??= hashPassword("not-a-password", this.options.scryptCost);
      await verifyPassword(password, await this.dummyHash);
      return undefined;
    }
    if (!(await verifyPassword(password, row.password_hash))) return undefined;
    return { id: row.id, username: row.username, display_name: row.display_name };
  }

  createSession(userId: string, now = Date.now()): { token: string; expiresAt: number } {
    const token = newSecret();
    const expiresAt = now + this.options.sessionTtlMs;
    this.db
      .prepare("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(sha256(token), userId, now, expiresAt);
    return { token, expiresAt };
  }

  authenticate(token: string, now = Date.now()): SessionInfo | undefined {
    return this.sessionByHash(sha256(token), now);
  }

  sessionByHash(sessionHash: string, now = Date.now()): SessionInfo | undefined {
    const row = this.db
      .prepare(
        `SELECT u.id, u.username, u.display_name, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(sessionHash, now) as (UserRow & { expires_at: number }) | undefined;
    if (!row) return undefined;
    return {
      user: { id: row.id, username: row.username, display_name: row.display_name },
      sessionHash,
      expiresAt: row.expires_at,
    };
  }

  /** Revokes one session; its realtime tickets go with it (cascade). */
  revokeSession(sessionHash: string): boolean {
    return this.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(sessionHash).changes > 0;
  }

  /** A single-use ticket for the WebSocket upgrade, valid for a few seconds. */
  createTicket(sessionHash: string, now = Date.now()): { ticket: string; expiresAt: number } {
    const ticket = newSecret();
    const expiresAt = now + (this.options.ticketTtlMs ?? 30_000);
    const db = this.db;
    db.transaction(() => {
      db.prepare("DELETE FROM realtime_tickets WHERE expires_at <= ?").run(now);
      db.prepare("INSERT INTO realtime_tickets (ticket_hash, session_hash, expires_at) VALUES (?, ?, ?)").run(
        sha256(ticket),
        sessionHash,
        expiresAt,
      );
    })();
    return { ticket, expiresAt };
  }

  /** Consumes a ticket (it can be used once) and returns its live session. */
  redeemTicket(ticket: string, now = Date.now()): SessionInfo | undefined {
    const row = this.db
      .prepare("DELETE FROM realtime_tickets WHERE ticket_hash = ? RETURNING session_hash, expires_at")
      .get(sha256(ticket)) as { session_hash: string; expires_at: number } | undefined;
    if (!row || row.expires_at <= now) return undefined;
    return this.sessionByHash(row.session_hash, now);
  }
}
