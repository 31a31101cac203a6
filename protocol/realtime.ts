import { z } from "zod";
import { Timestamp, Uuid } from "./common.js";
import { ErrorCode } from "./errors.js";
import { LockHolder, LockState, UnlockReason } from "./locks.js";

/** The WebSocket endpoint; connect with `?ticket=` from POST /api/realtime/ticket. */
export const REALTIME_PATH = "/ws";

/** Largest frame the server accepts; a larger one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Rooms are named `document:<uuid>`. */
export const RoomName = z
  .string()
  .max(100)
  .regex(
    /^document:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    "room must be document:<uuid>",
  );
export type RoomName = z.infer<typeof RoomName>;

export const documentRoom = (documentId: string): RoomName => `document:${documentId.toLowerCase()}`;
export const roomDocumentId = (room: RoomName): string => room.slice("document:".length);

// ---------------------------------------------------------------- client -> server

export const SubscribeMessage = z.strictObject({ type: z.literal("subscribe"), room: RoomName });
export const UnsubscribeMessage = z.strictObject({
  type: z.literal("unsubscribe"),
  room: RoomName,
});

export const ClientMessage = z.discriminatedUnion("type", [SubscribeMessage, UnsubscribeMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ---------------------------------------------------------------- server -> client

export const SubscribedMessage = z.object({
  type: z.literal("subscribed"),
  room: RoomName,
  /** A snapshot of the lock: what a reconnecting client resyncs from. */
  lock: LockState,
  /** The document's current version, to notice missed `document_updated` events. */
  version: z.number().int().nonnegative(),
});

export const ErrorMessage = z.object({
  type: z.literal("error"),
  code: ErrorCode,
  message: z.string(),
  room: z.string().optional(),
});

export const UnsubscribedMessage = z.object({
  type: z.literal("unsubscribed"),
  room: RoomName,
  /** `left` when asked; `access_revoked` when the server took the room away. */
  reason: z.enum(["left", "access_revoked"]),
});

export const DocumentLockedEvent = z.object({
  type: z.literal("document_locked"),
  document_id: Uuid,
  holder: LockHolder,
  at: Timestamp,
});

export const DocumentUnlockedEvent = z.object({
  type: z.literal("document_unlocked"),
  document_id: Uuid,
  previous_holder: LockHolder,
  reason: UnlockReason,
  at: Timestamp,
});

export const DocumentForceTakenEvent = z.object({
  type: z.literal("document_force_taken"),
  document_id: Uuid,
  holder: LockHolder,
  previous_holder: LockHolder,
  at: Timestamp,
});

export const DocumentUpdatedEvent = z.object({
  type: z.literal("document_updated"),
  document_id: Uuid,
  version: z.number().int().positive(),
  updated_by: Uuid,
  /** The title after the change; fetch the document for its content. */
  title: z.string(),
  at: Timestamp,
});

export const DocumentDeletedEvent = z.object({
  type: z.literal("document_deleted"),
  document_id: Uuid,
  at: Timestamp,
});

/** Events that concern one document and go to its room. */
export const DocumentEvent = z.discriminatedUnion("type", [
  DocumentLockedEvent,
  DocumentUnlockedEvent,
  DocumentForceTakenEvent,
  DocumentUpdatedEvent,
  DocumentDeletedEvent,
]);
export type DocumentEvent = z.infer<typeof DocumentEvent>;

export const ServerMessage = z.discriminatedUnion("type", [
  SubscribedMessage,
  UnsubscribedMessage,
  ErrorMessage,
  DocumentLockedEvent,
  DocumentUnlockedEvent,
  DocumentForceTakenEvent,
  DocumentUpdatedEvent,
  DocumentDeletedEvent,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
