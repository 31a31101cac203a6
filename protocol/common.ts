import { z } from "zod";

/** Documents, users, applications and projects are all identified by UUIDs. */
export const Uuid = z.uuid({ message: "must be a UUID" });
export type Uuid = z.infer<typeof Uuid>;

/**
 * One editor window (or tab) of one user. Chosen by the client, stable for the life of the
 * window, so that the same user in two windows can be told apart.
 */
export const ClientId = z
  .string()
  .min(8, "client_id must be 8 to 64 characters")
  .max(64, "client_id must be 8 to 64 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "client_id may only contain letters, digits, '-' and '_'");
export type ClientId = z.infer<typeof ClientId>;

/** A fencing token: increases on every acquire and force-take of a document, never goes back. */
export const LockToken = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export type LockToken = z.infer<typeof LockToken>;

export const Role = z.enum(["owner", "editor", "viewer"]);
export type Role = z.infer<typeof Role>;

export const Scope = z.enum(["personal", "application", "project"]);
export type Scope = z.infer<typeof Scope>;

/** ISO 8601 timestamp in UTC, e.g. 2026-11-27T10:32:00.000Z. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.infer<typeof Timestamp>;
