import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import { DocumentEvent } from "../../protocol/index.js";

/**
 * What server processes tell each other. Every message is published once, by the process where
 * it happened, and every process (the publisher too) acts on it when it comes back from the
 * bus: one path, so nothing is delivered twice and nothing skips the other processes.
 */
export const BusMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("document"), event: DocumentEvent }),
  /** A session ended (logout, revoked): its sockets close. */
  z.object({ kind: z.literal("session_revoked"), session_hash: z.string() }),
  /** A user left an application: their sockets leave that application's document rooms. */
  z.object({ kind: z.literal("membership_revoked"), user_id: z.string(), application_id: z.string() }),
  /** An event was lost (a publish failed): every process re-sends its rooms' snapshots. */
  z.object({ kind: z.literal("resync") }),
]);
export type BusMessage = z.infer<typeof BusMessage>;

export interface EventBus {
  /** Resolves once the message is handed to the bus; never rejects (failures are logged). */
  publish(message: BusMessage): Promise<void>;
  subscribe(handler: (message: BusMessage) => void): () => void;
  /**
   * Called when the bus came back after losing its connection: messages may have been missed
   * (and with a Redis restart, locks lost without any event), so listeners resync from state.
   */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}

/** One process: handlers run on the next tick, like messages coming back from Redis. */
export class MemoryEventBus implements EventBus {
  private readonly handlers = new Set<(message: BusMessage) => void>();

  async publish(message: BusMessage): Promise<void> {
    queueMicrotask(() => {
      for (const handler of this.handlers) handler(message);
    });
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** An in-process bus never disconnects. */
  onReconnect(_handler: () => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

/**
 * Redis pub/sub across processes. At-most-once: a message published while a subscriber is
 * disconnected is lost for it; clients resync from the `subscribed` snapshot when they
 * reconnect, and lock state itself lives in Redis, not in messages.
 */
export class RedisEventBus implements EventBus {
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly reconnectHandlers = new Set<() => void>();
  private readonly channel: string;
  /** A publish failed: rooms must resync once the publisher answers again. */
  private lostPublish = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private ready: Promise<unknown>;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
    keyPrefix = "",
  ) {
    this.channel = `${keyPrefix}lockstep:events`;
    this.subscriber.on("message", (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let message: BusMessage;
      try {
        message = BusMessage.parse(JSON.parse(raw));
      } catch (err) {
        this.logger.warn({ err }, "ignored a malformed bus message");
        return;
      }
      for (const handler of this.handlers) handler(message);
    });
    // The first 'ready' is the initial connection; every later one follows a disconnection.
    let connectedBefore = this.subscriber.status === "ready";
    this.subscriber.on("ready", () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      this.logger.info("event bus reconnected; resyncing rooms");
      this.notifyReconnect();
    });
    // The publisher reconnects on its own schedule: an event it failed to send was lost for
    // every process, and the subscriber's reconnect (if any) may already have happened.
    this.publisher.on("ready", () => {
      if (this.lostPublish) this.scheduleResync(0);
    });
    this.ready = this.subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.logger.error({ err }, "could not subscribe to the event channel; ioredis retries on reconnect");
    });
  }

  /** Resolves once the subscription is active (messages published before are not received). */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  async publish(message: BusMessage): Promise<void> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify(message));
    } catch (err) {
      this.logger.warn({ err, kind: message.kind }, "could not publish an event; rooms resync when Redis answers");
      this.lostPublish = true;
      // Still connected (a timeout, not a disconnect): no 'ready' will come, so retry later.
      if (this.publisher.status === "ready") this.scheduleResync(1_000);
    }
  }

  private scheduleResync(delayMs: number): void {
    if (this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (!this.lostPublish) return;
      this.lostPublish = false;
      // A lost publish lost the event for every process: tell them all (a failure here sets
      // lostPublish again and tries later).
      this.logger.info("asking every process to resync its rooms after a lost event");
      void this.publish({ kind: "resync" });
    }, delayMs);
    this.resyncTimer.unref();
  }

  /** This process may have missed messages: its rooms resync. */
  private notifyReconnect(): void {
    for (const handler of this.reconnectHandlers) handler();
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.handlers.clear();
    this.reconnectHandlers.clear();
    this.ready = Promise.resolve();
  }
}
