import type { Document, ForceTakeResult, LockGrant, LockHolder } from "../../protocol/index.js";

/** Test data builders for the renderer tests (Outline-style `buildX(overrides)`). */

export const ALICE = "11111111-1111-4111-8111-111111111111";
export const BOB = "22222222-2222-4222-8222-222222222222";
export const DOC = "33333333-3333-4333-8333-333333333333";
export const DOC2 = "44444444-4444-4444-8444-444444444444";
export const APP = "55555555-5555-4555-8555-555555555555";
export const PROJECT = "66666666-6666-4666-8666-666666666666";

/** "Me" in every test: Alice, in window `window-A`. */
export const ME = Object.freeze({ userId: ALICE, clientId: "window-A1" });

export function buildHolder(overrides: Partial<LockHolder> = {}): LockHolder {
  return {
    user_id: BOB,
    user_name: "bob",
    display_name: "Bob",
    client_id: "window-B1",
    acquired_at: "2026-11-27T10:32:00.000Z",
    ...overrides,
  };
}

export const myHolder = (overrides: Partial<LockHolder> = {}): LockHolder =>
  buildHolder({ user_id: ALICE, user_name: "alice", display_name: "Alice", client_id: ME.clientId, ...overrides });

export function buildGrant(overrides: Partial<LockGrant> = {}): LockGrant {
  return {
    locked: true,
    holder: myHolder({ is_you: true }),
    expires_at: "2026-11-27T10:32:45.000Z",
    lock_token: 7,
    ttl_ms: 45_000,
    ...overrides,
  };
}

export function buildForceTake(overrides: Partial<ForceTakeResult> = {}): ForceTakeResult {
  return { ...buildGrant(), previous_holder: buildHolder(), ...overrides };
}

export function buildDocument(overrides: Partial<Document> = {}): Document {
  return {
    id: DOC,
    title: "Plan",
    scope: "personal",
    owner_user_id: ALICE,
    application_id: null,
    project_id: null,
    version: 3,
    updated_at: "2026-11-27T10:00:00.000Z",
    updated_by: ALICE,
    lock: { locked: false, holder: null, expires_at: null },
    permissions: { edit: true, force_take: false, rename: true, delete: true },
    content: "# Plan\n",
    ...overrides,
  };
}
