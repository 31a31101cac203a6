import { CloseCode, ServerMessage, type ClientMessage, type RoomName } from "../../protocol/index.js";
import { fullJitterDelay, RECONNECT_BACKOFF, type BackoffOptions } from "./backoff.js";

/** What the service needs of a WebSocket; the browser adapter is `browserSocketFactory`. */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: string): void;
  onClose(code: number, reason: string): void;
}
export interface SocketConnection {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketConnection;

export type ConnectionStatus = "idle" | "connecting" | "open" | "reconnecting" | "stopped";

export interface ConnectionSnapshot {
  readonly status: ConnectionStatus;
  /** Failed attempts since the last successful open. */
  readonly attempt: number;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  readonly retryAt: number | null;
  readonly lastError: string | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = Object.freeze({
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
});

export interface RealtimeOptions {
  /** A fresh single-use ticket for every (re)connect (POST /api/realtime/ticket). */
  getTicket(): Promise<string>;
  /** `ws(s)://host/ws?ticket=...` for a ticket. */
  wsUrl(ticket: string): string;
  createSocket: SocketFactory;
  onStatus(snapshot: ConnectionSnapshot): void;
  onMessage(message: ServerMessage): void;
  /** The socket is open and every retained room has been asked for again. */
  onOpen?(reconnected: boolean): void;
  /** Closed with 4001: the session was revoked or expired. The service stops itself. */
  onSessionRevoked(): void;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Client frames sent at once before pacing; the server rate-limits frames (1008). */
  sendBurst?: number;
  /** Pause between bursts. */
  sendIntervalMs?: number;
}

export interface Realtime {
  start(): void;
  stop(): void;
  /** Ask for a room; counted, so the list and the editor can both want one room. */
  retain(room: RoomName): void;
  release(room: RoomName): void;
  /** Skip the current backoff wait (e.g. the browser says it is online again). */
  reconnectNow(): void;
  snapshot(): ConnectionSnapshot;
}

/**
 * The WebSocket client: one socket per window, tickets fetched per connect, reconnects with
 * full-jitter exponential backoff, resubscribes every retained room after each (re)connect.
 * Messages are parsed with the protocol's schemas; a malformed one is reported, not dispatched.
 */
export function createRealtime(options: RealtimeOptions): Realtime {
  const timers = options.timers ?? realTimers;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? RECONNECT_BACKOFF;
  const burst = options.sendBurst ?? 20;
  const interval = options.sendIntervalMs ?? 1_000;

  const rooms = new Map<RoomName, number>();
  let state: ConnectionSnapshot = { status: "idle", attempt: 0, retryAt: null, lastError: null };
  let socket: SocketConnection | null = null;
  let open = false;
  /** Bumped on every connect and stop: callbacks of an older socket are ignored. */
  let generation = 0;
  let everOpened = false;
  let retryTimer: unknown = null;
  let queue: string[] = [];
  let tokens = burst;
  let refillTimer: unknown = null;

  const set = (patch: Partial<ConnectionSnapshot>): void => {
    state = { ...state, ...patch };
    options.onStatus(state);
  };

  const pump = (): void => {
    while (open && socket !== null && queue.length > 0 && tokens > 0) {
      tokens--;
      socket.send(queue.shift() as string);
    }
    if (queue.length > 0 && refillTimer === null) {
      refillTimer = timers.setTimeout(() => {
        refillTimer = null;
        tokens = burst;
        pump();
      }, interval);
    }
  };

  const send = (message: ClientMessage): void => {
    queue.push(JSON.stringify(message));
    pump();
  };

  /** A function, not an inline check: `state` changes across awaits behind TS's back. */
  const stopped = (): boolean => state.status === "stopped";

  const clearRetry = (): void => {
    if (retryTimer !== null) timers.clearTimeout(retryTimer);
    retryTimer = null;
  };

  const scheduleReconnect = (error: string): void => {
    if (state.status === "stopped") return;
    const delay = fullJitterDelay(state.attempt, backoff, random);
    set({ status: "reconnecting", attempt: state.attempt + 1, retryAt: timers.now() + delay, lastError: error });
    clearRetry();
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
  };

  const dropSocket = (): void => {
    generation++;
    open = false;
    queue = [];
    const s = socket;
    socket = null;
    s?.close(CloseCode.normal, "client closing");
  };

  async function connect(): Promise<void> {
    if (state.status === "stopped") return;
    dropSocket();
    const gen = generation;
    set({ status: "connecting", retryAt: null });
    let ticket: string;
    try {
      ticket = await options.getTicket();
    } catch (e) {
      if (gen !== generation) return;
      scheduleReconnect(`ticket: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (gen !== generation || stopped()) return;
    socket = options.createSocket(options.wsUrl(ticket), {
      onOpen() {
        if (gen !== generation) return;
        open = true;
        const reconnected = everOpened;
        everOpened = true;
        tokens = burst;
        set({ status: "open", attempt: 0, retryAt: null, lastError: null });
        for (const room of rooms.keys()) send({ type: "subscribe", room });
        options.onOpen?.(reconnected);
      },
      onMessage(data) {
        if (gen !== generation) return;
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          set({ lastError: "the server sent a frame that is not JSON" });
          return;
        }
        const parsed = ServerMessage.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          set({ lastError: `unexpected message: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}` });
          return;
        }
        options.onMessage(parsed.data);
      },
      onClose(code, reason) {
        if (gen !== generation) return;
        open = false;
        socket = null;
        if (code === CloseCode.sessionRevoked) {
          stop();
          options.onSessionRevoked();
          return;
        }
        scheduleReconnect(`closed (${code}${reason ? `: ${reason}` : ""})`);
      },
    });
  }

  function stop(): void {
    clearRetry();
    if (refillTimer !== null) timers.clearTimeout(refillTimer);
    refillTimer = null;
    dropSocket();
    set({ status: "stopped", retryAt: null });
  }

  return {
    start() {
      if (state.status !== "idle" && state.status !== "stopped") return;
      state = { status: "idle", attempt: 0, retryAt: null, lastError: null };
      everOpened = false;
      void connect();
    },
    stop,
    retain(room) {
      const n = rooms.get(room) ?? 0;
      rooms.set(room, n + 1);
      if (n === 0 && open) send({ type: "subscribe", room });
    },
    release(room) {
      const n = rooms.get(room) ?? 0;
      if (n <= 1) {
        rooms.delete(room);
        if (n === 1 && open) send({ type: "unsubscribe", room });
      } else rooms.set(room, n - 1);
    },
    reconnectNow() {
      if (state.status !== "reconnecting") return;
      clearRetry();
      void connect();
    },
    snapshot: () => state,
  };
}
