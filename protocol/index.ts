/**
 * The wire contract between the Lockstep server and its clients: zod schemas and the types
 * inferred from them. Imported by server/ and src-renderer/ alike; imports nothing of ours.
 */
export type * from "./bridge.js";
export * from "./common.js";
export * from "./errors.js";
export * from "./locks.js";
export * from "./rest.js";
export * from "./realtime.js";
