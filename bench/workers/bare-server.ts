/**
 * The bare reference server: the least that could serve the same requests, on the same
 * machine, in its own process. Express 5 with JSON bodies (ETag off, as in Lockstep) and a
 * `ws` server on the same port; no auth, validation, access check, logging or metrics.
 * - POST   /api/documents/:id/lock            one SET NX PX
 * - DELETE /api/documents/:id/lock            one DEL
 * - POST   /api/documents/:id/lock/heartbeat  one PEXPIRE
 * - POST   /broadcast?room=&client_id=        one event, stringified once, sent to the room
 * - /ws    {type:"subscribe", room}           joins the room, answers {type:"subscribed"}
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { WebSocketServer, type WebSocket } from "ws";
import { serve } from "../lib/rpc.js";

let server: Server | undefined;
let redis: Redis | undefined;

async function start(params: { redisUrl: string; ttlMs: number }): Promise<{ url: string }> {
  if (server) throw new Error("already started");
  const r = new Redis(params.redisUrl);
  redis = r;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(express.json());
  const key = (id: string): string => `bare:lock:${id}`;
  app.post("/api/documents/:id/lock", async (req, res) => {
    const clientId = String((req.body as { client_id?: unknown }).client_id);
    const ok = await r.set(key(req.params.id), clientId, "PX", params.ttlMs, "NX");
    if (ok === "OK") res.json({ locked: true, lock_token: 1, ttl_ms: params.ttlMs });
    else res.status(409).json({ error: { code: "lock_held" } });
  });
  app.delete("/api/documents/:id/lock", async (req, res) => {
    await r.del(key(req.params.id));
    res.json({ locked: false });
  });
  app.post("/api/documents/:id/lock/heartbeat", async (req, res) => {
    const extended = await r.pexpire(key(req.params.id), params.ttlMs);
    if (extended === 1) res.json({ locked: true, lock_token: 1, ttl_ms: params.ttlMs });
    else res.status(404).json({ error: { code: "lock_expired" } });
  });

  const rooms = new Map<string, Set<WebSocket>>();
  app.post("/broadcast", (req, res) => {
    const room = String(req.query.room);
    const at = new Date().toISOString();
    const holder = (clientId: string) => ({ user_id: "00000000-0000-4000-8000-000000000000", user_name: "alice", display_name: "Alice Martin", client_id: clientId, acquired_at: at });
    const raw = JSON.stringify({
      type: "document_force_taken",
      document_id: room.slice("document:".length),
      holder: holder(String(req.query.client_id)),
      previous_holder: holder("previous-client"),
      at,
    });
    for (const ws of rooms.get(room) ?? []) ws.send(raw);
    res.json({ sent: rooms.get(room)?.size ?? 0 });
  });

  const http = createServer(app);
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  http.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => {
      const joined = new Set<string>();
      ws.on("message", (data) => {
        const msg = JSON.parse(data.toString()) as { type?: string; room?: string };
        if (msg.type !== "subscribe" || typeof msg.room !== "string") return;
        let members = rooms.get(msg.room);
        if (!members) rooms.set(msg.room, (members = new Set()));
        members.add(ws);
        joined.add(msg.room);
        ws.send(JSON.stringify({ type: "subscribed", room: msg.room }));
      });
      ws.on("error", () => undefined);
      ws.on("close", () => {
        for (const room of joined) rooms.get(room)?.delete(ws);
      });
    });
  });
  http.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  server = http;
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** Deletes the locks left by a load run that stopped between a POST and its DELETE. */
async function reset(_params?: unknown): Promise<{ deleted: number }> {
  if (!redis) return { deleted: 0 };
  let deleted = 0;
  let cursor = "0";
  // Bounded: a few thousand keys at most, 1000 per SCAN step.
  for (let step = 0; step < 10_000; step++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", "bare:lock:*", "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return { deleted };
}

async function stop(_params?: unknown): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  redis?.disconnect();
}

const handlers = { start, reset, stop };
export type BareServerApi = typeof handlers;
serve(handlers);
