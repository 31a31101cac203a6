import { z } from "zod";
import { ClientId, LockToken, Role, Scope, Timestamp, Uuid } from "./common.js";
import { LockState } from "./locks.js";

// ---------------------------------------------------------------- auth

export const Username = z
  .string()
  .min(2, "username must be 2 to 32 characters")
  .max(32, "username must be 2 to 32 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "username: lower-case letters, digits, '.', '_' and '-'");

export const Password = z
  .string()
  .min(8, "password must be at least 8 characters")
  .max(256, "password must be at most 256 characters");

export const DisplayName = z.string().trim().min(1).max(80);

export const User = z.object({
  id: Uuid,
  username: z.string(),
  display_name: z.string(),
});
export type User = z.infer<typeof User>;

export const LoginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const LoginResult = z.object({ token: z.string(), user: User, expires_at: Timestamp });
export type LoginResult = z.infer<typeof LoginResult>;

export const Membership = z.object({
  application_id: Uuid,
  application_name: z.string(),
  role: Role,
});
export type Membership = z.infer<typeof Membership>;

export const Me = z.object({ user: User, memberships: z.array(Membership) });
export type Me = z.infer<typeof Me>;

/** POST /api/realtime/ticket: a short-lived, single-use ticket for the WebSocket upgrade. */
export const RealtimeTicket = z.object({ ticket: z.string(), expires_at: Timestamp });
export type RealtimeTicket = z.infer<typeof RealtimeTicket>;

// ---------------------------------------------------------------- applications

export const Application = z.object({ id: Uuid, name: z.string(), role: Role });
export type Application = z.infer<typeof Application>;

export const ApplicationList = z.object({ applications: z.array(Application) });
export type ApplicationList = z.infer<typeof ApplicationList>;

export const ApplicationCreateBody = z.strictObject({ name: z.string().trim().min(1).max(120) });
export type ApplicationCreateBody = z.infer<typeof ApplicationCreateBody>;

export const Member = z.object({
  user_id: Uuid,
  username: z.string(),
  display_name: z.string(),
  role: Role,
});
export type Member = z.infer<typeof Member>;

export const MemberList = z.object({ members: z.array(Member) });
export type MemberList = z.infer<typeof MemberList>;

/** PUT /api/applications/{id}/members: add a member or change a member's role (owners only). */
export const MemberUpsertBody = z.strictObject({ username: Username, role: Role });
export type MemberUpsertBody = z.infer<typeof MemberUpsertBody>;

export const Project = z.object({ id: Uuid, application_id: Uuid, name: z.string() });
export type Project = z.infer<typeof Project>;

export const ProjectList = z.object({ projects: z.array(Project) });
export type ProjectList = z.infer<typeof ProjectList>;

export const ProjectCreateBody = z.strictObject({ name: z.string().trim().min(1).max(120) });
export type ProjectCreateBody = z.infer<typeof ProjectCreateBody>;

// ---------------------------------------------------------------- documents

/** Documents are plain text (Markdown). 1 MiB of it is a long book. */
export const MAX_CONTENT_CHARS = 1_000_000;
export const DocumentTitle = z.string().trim().min(1, "title must not be empty").max(200);

/** What the caller may do with a document, from the access rules. */
export const DocumentPermissions = z.object({
  /** Acquire the lock and save. False for viewers. */
  edit: z.boolean(),
  /** Take the lock over from someone else (owners). Self-takeover needs only `edit`. */
  force_take: z.boolean(),
  /** Change the title (no lock needed). */
  rename: z.boolean(),
  /** Delete the document. */
  delete: z.boolean(),
});
export type DocumentPermissions = z.infer<typeof DocumentPermissions>;

export const DocumentSummary = z.object({
  id: Uuid,
  title: z.string(),
  scope: Scope,
  owner_user_id: Uuid.nullable(),
  application_id: Uuid.nullable(),
  project_id: Uuid.nullable(),
  version: z.number().int().nonnegative(),
  updated_at: Timestamp,
  updated_by: Uuid.nullable(),
  lock: LockState,
  permissions: DocumentPermissions,
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;

export const Document = DocumentSummary.extend({ content: z.string() });
export type Document = z.infer<typeof Document>;

export const DocumentList = z.object({ documents: z.array(DocumentSummary) });
export type DocumentList = z.infer<typeof DocumentList>;

export const DocumentCreateBody = z
  .strictObject({
    title: DocumentTitle,
    scope: Scope,
    application_id: Uuid.optional(),
    project_id: Uuid.optional(),
    content: z.string().max(MAX_CONTENT_CHARS).optional(),
  })
  .superRefine((body, ctx) => {
    const need = (field: "application_id" | "project_id", wanted: boolean): void => {
      if ((body[field] !== undefined) !== wanted) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: wanted
            ? `${field} is required for scope ${body.scope}`
            : `${field} is not allowed for scope ${body.scope}`,
        });
      }
    };
    need("application_id", body.scope === "application");
    need("project_id", body.scope === "project");
  });
export type DocumentCreateBody = z.infer<typeof DocumentCreateBody>;

/** PATCH /api/documents/{id}: rename. */
export const DocumentPatchBody = z.strictObject({ title: DocumentTitle });
export type DocumentPatchBody = z.infer<typeof DocumentPatchBody>;

/** PUT /api/documents/{id}/content: a fenced save. */
export const SaveContentBody = z.strictObject({
  content: z.string().max(MAX_CONTENT_CHARS),
  lock_token: LockToken,
  base_version: z.number().int().nonnegative(),
  client_id: ClientId.optional(),
});
export type SaveContentBody = z.infer<typeof SaveContentBody>;

export const SaveContentResult = z.object({
  version: z.number().int().positive(),
  updated_at: Timestamp,
  updated_by: Uuid,
});
export type SaveContentResult = z.infer<typeof SaveContentResult>;

/** Path parameter `{id}` of every document route. */
export const DocumentIdParams = z.object({ id: Uuid });
export const ApplicationIdParams = z.object({ id: Uuid });
export const MemberParams = z.object({ id: Uuid, userId: Uuid });



// ---------------------------------------------------------------- first-run setup

/** GET /api/setup: whether the server has no account yet (first run of the embedded server). */
export const SetupStatus = z.object({ needed: z.boolean() });
export type SetupStatus = z.infer<typeof SetupStatus>;

/**
 * POST /api/setup: creates the first account, its owner role in a first application, and signs
 * it in. Refused (409 conflict) once any account exists.
 */
export const SetupBody = z.strictObject({
  username: Username,
  display_name: DisplayName,
  password: Password,
  application_name: z.string().trim().min(1).max(120).default("My team"),
});
export type SetupBody = z.infer<typeof SetupBody>;
