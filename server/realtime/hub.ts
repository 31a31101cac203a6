import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import {
  ClientMessage,
  CloseCode,
  MAX_FRAME_BYTES,
  REALTIME_PATH,
  documentRoom,
  roomDocumentId,
  type ErrorCode,
  type RoomName,
  type ServerMessage,
} from "../../protocol/index.js";
import type { AccessControl } from "../access/index.js";
import { AppError } from "../errors.js";
import { toLockState } from "../http/wire.js";
import type { DocumentLockService } from "../locks/service.js";
import type { LockRecord } from "../locks/types.js";
import type { Metrics } from "../metrics.js";
import type { Accounts, Documents, SessionInfo } from "../store/index.js";
import type { BusMessage, EventBus } from "./bus.js";
import type { RequestGuard } from "./guard.js";

export interface HubOptions {
  /** Messages a client may send per second, sustained. */
  readonly messagesPerSecond?: number;
  /** Burst allowance above the sustained rate. */
  readonly messageBurst?: number;
  /** How often dead peers are looked for (ping; no pong by the next round: terminated). */
  readonly pingIntervalMs?: number;
  /** A client this far behind on reading is dropped rather than buffered without bound. */
  readonly maxBufferedBytes?: number;
}

export interface HubDeps {
  readonly accounts: Accounts;
  readonly documents: Documents;
  readonly access: AccessControl;
  readonly locks: DocumentLockService;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly guard: RequestGuard;
}

/** A document id no document has: reading its lock probes the store. */
const NIL_DOCUMENT = "00000000-0000-0000-0000-000000000000";

interface Client {
  readonly socket: WebSocket;
  readonly session: SessionInfo;
  readonly rooms: Set<RoomName>;
  /** Rooms whose snapshot is on its way: events for them wait here, then follow it. */
  readonly pending: Map<RoomName, string[]>;
  tokens: number;
  lastRefill: number;
  dropped: number;
  alive: boolean;
}

/**
 * The WebSocket side: authenticates upgrades, keeps rooms per document, and delivers what comes
 * over the event bus to the sockets of this process. Room joins use the same AccessControl as
 * the REST routes.
 */
export class RealtimeHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly rooms = new Map<RoomName, Set<Client>>();
  private readonly unsubscribeBus: () => void;
  private readonly unsubscribeReconnect: () => void;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private closing = false;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly deps: HubDeps,
    options: HubOptions = {},
  ) {
    // A document list subscribes one room per listed document (the renderer paces that at
    // 20/s): the limit leaves room for it and stops only real floods.
    this.rate = options.messagesPerSecond ?? 50;
    this.burst = options.messageBurst ?? 200;
    this.maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
    this.unsubscribeBus = deps.bus.subscribe((m) => this.onBus(m));
    this.unsubscribeReconnect = deps.bus.onReconnect(() => void this.resyncAll());
    this.pingTimer = setInterval(() => this.pingAll(), options.pingIntervalMs ?? 30_000);
    this.pingTimer.unref();
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** The `upgrade` listener of the HTTP server. Refuses with an HTTP status before any frame. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const refuse = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.closing) return refuse(503, "Service Unavailable");
    const url = new URL(req.url ?? "/", "http://placeholder");
    if (url.pathname !== REALTIME_PATH) return refuse(404, "Not Found");
    const verdict = this.deps.guard.check(req.headers.host, req.headers.origin);
    if (verdict !== "ok") return refuse(403, "Forbidden");
    const session = this.authenticate(req, url);
    if (!session) return refuse(401, "Unauthorized");
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, session));
  }

  /** A single-use ticket in the query (browsers), or a bearer token header (CLI clients). */
  private authenticate(req: IncomingMessage, url: URL): SessionInfo | undefined {
    const ticket = url.searchParams.get("ticket");
    if (ticket) return /^[A-Za-z0-9_-]{16,200}$/.test(ticket) ? this.deps.accounts.redeemTicket(ticket) : undefined;
    const bearer = /^Bearer ([A-Za-z0-9_-]{16,200})$/.exec(req.headers.authorization ?? "")?.[1];
    return bearer ? this.deps.accounts.authenticate(bearer) : undefined;
  }

  private onConnection(socket: WebSocket, session: SessionInfo): void {
    const client: Client = {
      socket,
      session,
      rooms: new Set(),
      pending: new Map(),
      tokens: this.burst,
      lastRefill: Date.now(),
      dropped: 0,
      alive: true,
    };
    this.clients.add(client);
    this.deps.metrics.wsConnections.inc();
    socket.on("pong", () => (client.alive = true));
    socket.on("message", (data, isBinary) => this.onMessage(client, data, isBinary));
    socket.on("error", (err) => this.deps.logger.debug({ err }, "websocket error"));
    socket.on("close", () => {
      this.clients.delete(client);
      this.deps.metrics.wsConnections.dec();
      for (const room of client.rooms) this.leave(client, room);
    });
  }

  private allow(client: Client): boolean {
    const now = Date.now();
    client.tokens = Math.min(this.burst, client.tokens + ((now - client.lastRefill) / 1000) * this.rate);
    client.lastRefill = now;
    if (client.tokens >= 1) {
      client.tokens -= 1;
      return true;
    }
    return false;
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    this.deps.metrics.wsMessages.inc({ direction: "in" });
    if (!this.allow(client)) {
      client.dropped += 1;
      if (client.dropped === 1) this.sendError(client, "rate_limited", "Too many messages; slow down.");
      // A client that keeps flooding after being told is cut off.
      if (client.dropped > this.burst) client.socket.close(CloseCode.policyViolation, "rate limit");
      return;
    }
    client.dropped = 0;
    let parsed: unknown;
    try {
      if (isBinary) throw new Error("binary");
      parsed = JSON.parse(data.toString());
    } catch {
      return this.sendError(client, "invalid_input", "Messages must be JSON text.");
    }
    const result = ClientMessage.safeParse(parsed);
    if (!result.success) {
      const room = typeof (parsed as { room?: unknown })?.room === "string" ? (parsed as { room: string }).room : undefined;
      return this.sendError(client, "invalid_input", result.error.issues[0]?.message ?? "Unknown message.", room);
    }
    const msg = result.data;
    switch (msg.type) {
      case "subscribe":
        void this.subscribe(client, documentRoom(roomDocumentId(msg.room)));
        return;
      case "unsubscribe": {
        const room = documentRoom(roomDocumentId(msg.room));
        this.leave(client, room);
        this.send(client, { type: "unsubscribed", room, reason: "left" });
        return;
      }
      default: {
        const _never: never = msg;
        return _never;
      }
    }
  }

  private async subscribe(client: Client, room: RoomName): Promise<void> {
    const documentId = roomDocumentId(room);
    const userId = client.session.user.id;
    try {
      this.deps.access.require(userId, documentId, "view");
    } catch (err) {
      // One answer for missing and for not-yours documents: nothing leaks.
      const code: ErrorCode = err instanceof AppError && err.code === "not_found" ? "not_found" : "internal";
      return this.sendError(client, code, code === "not_found" ? "Document not found." : "Could not join.", room);
    }
    // Subscribing again to a room already joined answers with a fresh snapshot (a resync).
    const wasMember = client.rooms.has(room) && !client.pending.has(room);
    this.join(client, room);
    client.pending.set(room, client.pending.get(room) ?? []);
    try {
      const lock = await this.deps.locks.get(documentId);
      const doc = this.deps.documents.get(documentId);
      if (!doc) throw new AppError("not_found", "Document not found.");
      if (client.socket.readyState !== WebSocket.OPEN || !client.rooms.has(room)) return;
      this.send(client, { type: "subscribed", room, lock: toLockState(lock, userId), version: doc.version });
      for (const raw of client.pending.get(room) ?? []) this.sendRaw(client, raw);
      client.pending.delete(room);
    } catch (err) {
      // A failed resync (store down) keeps an existing membership: events still flow, and the
      // client can ask again. A failed first join leaves the room.
      const pending = client.pending.get(room) ?? [];
      client.pending.delete(room);
      if (wasMember) for (const raw of pending) this.sendRaw(client, raw);
      else this.leave(client, room);
      const code: ErrorCode = err instanceof AppError ? err.code : "internal";
      this.sendError(client, code, err instanceof AppError ? err.message : "Could not join.", room);
    }
  }

  private join(client: Client, room: RoomName): void {
    client.rooms.add(room);
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(client);
  }

  private leave(client: Client, room: RoomName): void {
    client.rooms.delete(room);
    client.pending.delete(room);
    const members = this.rooms.get(room);
    if (!members) return;
    members.delete(client);
    if (members.size === 0) this.rooms.delete(room);
  }

  private onBus(message: BusMessage): void {
    switch (message.kind) {
      case "document": {
        const room = documentRoom(message.event.document_id);
        const members = this.rooms.get(room);
        if (!members) return;
        const raw = JSON.stringify(message.event);
        for (const client of members) {
          const pending = client.pending.get(room);
          if (pending) pending.push(raw);
          else this.sendRaw(client, raw);
        }
        if (message.event.type === "document_deleted") {
          for (const client of [...members]) this.leave(client, room);
        }
        return;
      }
      case "session_revoked":
        for (const client of this.clients) {
          if (client.session.sessionHash === message.session_hash) {
            client.socket.close(CloseCode.sessionRevoked, "session ended");
          }
        }
        return;
      case "membership_revoked":
        for (const client of this.clients) {
          if (client.session.user.id !== message.user_id) continue;
          for (const room of [...client.rooms]) {
            const doc = this.deps.documents.get(roomDocumentId(room));
            const stillVisible = doc ? this.deps.access.accessTo(message.user_id, doc).visible : false;
            if (!stillVisible) {
              this.leave(client, room);
              this.send(client, { type: "unsubscribed", room, reason: "access_revoked" });
            }
          }
        }
        return;
      case "resync":
        void this.resyncAll();
        return;
      default: {
        const _never: never = message;
        return _never;
      }
    }
  }

  private send(client: Client, message: ServerMessage): void {
    this.sendRaw(client, JSON.stringify(message));
  }

  private sendError(client: Client, code: ErrorCode, message: string, room?: string): void {
    this.send(client, room === undefined ? { type: "error", code, message } : { type: "error", code, message, room });
  }

  private sendRaw(client: Client, raw: string): void {
    const socket = client.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.maxBuffered) {
      this.deps.logger.warn({ user: client.session.user.id }, "dropping a websocket client that does not read");
      socket.terminate();
      return;
    }
    this.deps.metrics.wsMessages.inc({ direction: "out" });
    socket.send(raw);
  }

  /**
   * Sends every joined socket a fresh `subscribed` snapshot of each of its rooms. Used when the
   * bus reconnects: events may have been lost meanwhile, and a Redis restart drops locks that
   * no sweep will ever announce. The lock store may come back a moment after the bus, so
   * store errors are retried for a while.
   */
  resyncAll(): Promise<void> {
    if (this.resyncing) {
      // One is running and may have read state older than what asked for this one.
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      try {
        do {
          this.resyncAgain = false;
          await this.resyncRooms();
        } while (this.resyncAgain);
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  private async resyncRooms(): Promise<void> {
    // Wait for the store once; then a room whose read still fails is skipped, not the rest.
    if ((await this.withStoreRetry(() => this.deps.locks.get(NIL_DOCUMENT))) === undefined) return;
    for (const room of [...this.rooms.keys()]) {
      const documentId = roomDocumentId(room);
      // Events that arrive while the snapshot is read are held back and follow it, so an
      // older snapshot never overwrites a newer event. Clients still joining are left alone.
      const members = [...(this.rooms.get(room) ?? [])].filter((c) => !c.pending.has(room));
      for (const client of members) client.pending.set(room, []);
      let lock: LockRecord | null | undefined;
      try {
        lock = await this.deps.locks.get(documentId);
      } catch (err) {
        this.deps.logger.warn({ err, room }, "room not resynced");
      }
      const doc = this.deps.documents.get(documentId);
      for (const client of members) {
        const held = client.pending.get(room) ?? [];
        client.pending.delete(room);
        if (!client.rooms.has(room)) continue;
        if (lock !== undefined && doc) {
          this.send(client, { type: "subscribed", room, lock: toLockState(lock, client.session.user.id), version: doc.version });
        }
        for (const raw of held) this.sendRaw(client, raw);
      }
    }
  }

  /** Retries while the store is unavailable, up to ~10 s; undefined when it never answered. */
  private async withStoreRetry<T>(run: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof AppError && err.code === "store_unavailable")) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    this.deps.logger.warn("lock store still unavailable; rooms not resynced");
    return undefined;
  }

  private pingAll(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Closes every socket with 1012 (service restart: clients reconnect) and stops. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pingTimer);
    this.unsubscribeBus();
    this.unsubscribeReconnect();
    for (const client of this.clients) client.socket.close(CloseCode.serviceRestart, "server restarting");
    const deadline = Date.now() + 1_000;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.clients) client.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
