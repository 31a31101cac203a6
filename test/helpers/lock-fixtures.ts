import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import type { LockOwner } from "../../server/locks/types.js";

let counter = 0;

/** A user in one window; every call is a new user unless `userId` is given. */
export function buildOwner(overrides: Partial<LockOwner> = {}): LockOwner {
  counter += 1;
  return {
    userId: randomUUID(),
    userName: `user${counter}`,
    displayName: `User ${counter}`,
    clientId: `client-${counter}-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

/** The same user in another window. */
export function otherWindowOf(owner: LockOwner): LockOwner {
  return buildOwner({ userId: owner.userId, userName: owner.userName, displayName: owner.displayName });
}

export function buildDocumentId(): string {
  return randomUUID();
}

/** A key prefix no other test uses, so tests on one Redis never see each other's keys. */
export function uniqueKeyPrefix(): string {
  return `test:${randomUUID().slice(0, 8)}:`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A real pino logger writing into memory, to assert on what was logged. */
export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim()) records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, sink), records };
}

/** Resolves with fn()'s value once it is truthy; rejects after timeoutMs. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 3_000, stepMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}
