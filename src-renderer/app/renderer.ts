import {
  documentRoom,
  REALTIME_PATH,
  roomDocumentId,
  type DocumentCreateBody,
  type Me,
  type RoomName,
  type ServerMessage,
  type SetupBody,
} from "../../protocol/index.js";
import type { z } from "zod";
import { createApiClient, type ApiClient } from "../api/client.js";
import { describeError, isApiError } from "../api/errors.js";
import { createHttp, type FetchLike } from "../api/http.js";
import type { ServerChoice, SwitchServerResult } from "../env.js";
import type { HeartbeatDriver } from "../lock/heartbeat.js";
import { createRealtime, realTimers, type Realtime, type SocketFactory, type Timers } from "../realtime/socket.js";
import { createDocumentSession, type DocumentSession } from "../services/document-session.js";
import { createConnectionStore } from "../state/connection.js";
import { createDocumentsStore } from "../state/documents.js";
import { createDraftsStore, type StorageLike } from "../state/drafts.js";
import { createEditorStore } from "../state/editor.js";
import { createLocksStore } from "../state/locks.js";
import { createNoticesStore } from "../state/notices.js";
import { createSessionStore, type ServerSlice } from "../state/session.js";

/** Everything the renderer needs from its surroundings; the browser supplies it in main.tsx. */
export interface RendererEnv {
  readonly server: ServerSlice;
  readonly storage: StorageLike;
  readonly fetch: FetchLike;
  readonly createSocket: SocketFactory;
  readonly createHeartbeat: () => HeartbeatDriver;
  /** The desktop bridge's server switch; absent in a browser. */
  readonly switchServer?: (choice: ServerChoice) => Promise<SwitchServerResult>;
  readonly timers?: Timers;
}

/**
 * Above this many listed documents, only the first ones get a live lock indicator: one room
 * per document is the only lock feed the protocol has (see the report on a user-level feed).
 */
const MAX_LIST_ROOMS = 500;

const tokenKey = (serverUrl: string): string => `lockstep.session.v1:${serverUrl}`;

/** ws(s)://host/ws?ticket=... from the server's http(s) URL. */
export function realtimeUrl(httpUrl: string, ticket: string): string {
  const u = new URL(httpUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.search = `?ticket=${encodeURIComponent(ticket)}`;
  return u.toString();
}

/**
 * The renderer's composition root: builds the API client, the stores (one per concern), the
 * realtime socket and the document session from an environment, and returns them with the
 * actions the UI calls. Nothing here is a module-level singleton.
 */
export function createRenderer(env: RendererEnv) {
  const timers = env.timers ?? realTimers;
  const session = createSessionStore(env.server);
  const documents = createDocumentsStore();
  const locks = createLocksStore();
  const connection = createConnectionStore();
  const drafts = createDraftsStore(env.storage);
  const editor = createEditorStore();
  const notices = createNoticesStore();

  const readToken = (): string | null => {
    try {
      return env.storage.getItem(tokenKey(env.server.serverUrl));
    } catch {
      return null;
    }
  };
  const writeToken = (token: string | null): void => {
    try {
      if (token === null) env.storage.removeItem(tokenKey(env.server.serverUrl));
      else env.storage.setItem(tokenKey(env.server.serverUrl), token);
    } catch {
      // Storage refused: the session lasts as long as the window.
    }
  };

  const http = createHttp({
    baseUrl: env.server.serverUrl,
    fetch: env.fetch,
    getToken: () => session.getState().token,
    onUnauthenticated: () => {
      if (session.getState().phase === "signed_in") endSessionLocally("Your session has ended. Sign in again.");
    },
  });
  const api: ApiClient = createApiClient(http);

  const realtime: Realtime = createRealtime({
    getTicket: async () => (await api.realtimeTicket()).ticket,
    wsUrl: (ticket) => realtimeUrl(api.url(REALTIME_PATH), ticket),
    createSocket: env.createSocket,
    onStatus: (s) => connection.getState().setSnapshot(s),
    onMessage: route,
    onOpen: (reconnected) => {
      // Events were missed while the socket was down; the snapshots fix locks, this the list.
      if (reconnected) void refreshDocuments();
    },
    onSessionRevoked: () => endSessionLocally("Your session was ended. Sign in again."),
    timers,
  });

  const heartbeat = env.createHeartbeat();
  const me = (): { userId: string; clientId: string } => ({
    userId: session.getState().me?.user.id ?? "",
    clientId: env.server.clientId,
  });
  const documentSession: DocumentSession = createDocumentSession({
    api,
    editor,
    locks,
    drafts,
    notices,
    documents,
    realtime,
    heartbeat,
    me,
    timers,
  });

  // ------------------------------------------------------------ live lock indicators

  const listRooms = new Set<RoomName>();
  function syncListRooms(): void {
    const wanted = new Set(
      Object.keys(documents.getState().documents)
        .slice(0, MAX_LIST_ROOMS)
        .map((id) => documentRoom(id)),
    );
    for (const room of listRooms) {
      if (!wanted.has(room)) {
        realtime.release(room);
        listRooms.delete(room);
      }
    }
    for (const room of wanted) {
      if (!listRooms.has(room)) {
        realtime.retain(room);
        listRooms.add(room);
      }
    }
  }
  documents.subscribe((s, prev) => {
    if (s.documents !== prev.documents && session.getState().phase === "signed_in") syncListRooms();
  });

  function route(message: ServerMessage): void {
    switch (message.type) {
      case "subscribed":
        locks.getState().setLock(roomDocumentId(message.room), message.lock);
        break;
      case "document_locked":
      case "document_unlocked":
      case "document_force_taken":
        locks.getState().applyEvent(message);
        break;
      case "document_updated":
        documents.getState().applyUpdated(message);
        break;
      case "document_deleted":
        documents.getState().removeDocument(message.document_id);
        locks.getState().applyEvent(message);
        break;
      case "unsubscribed":
        if (message.reason === "access_revoked") documents.getState().removeDocument(roomDocumentId(message.room));
        break;
      case "error":
        if (message.room === undefined) console.warn("Realtime error:", message.code, message.message);
        break;
      default: {
        const _never: never = message;
        return _never;
      }
    }
    documentSession.handleMessage(message);
  }

  // ------------------------------------------------------------ flows

  async function refreshDocuments(): Promise<void> {
    try {
      const [{ applications }, { documents: list }] = await Promise.all([api.applications(), api.documents()]);
      documents.getState().setApplications(applications);
      const projects = await Promise.all(applications.map(async (a) => [a.id, (await api.projects(a.id)).projects] as const));
      for (const [id, p] of projects) documents.getState().setProjects(id, p);
      locks.getState().seedFromList(list);
      documents.getState().setDocuments(list);
    } catch (e) {
      if (isApiError(e, "unauthenticated")) return;
      documents.getState().setListError(describeError(e));
    }
  }

  function startSession(token: string, who: Me): void {
    writeToken(token);
    session.getState().signedIn(token, who);
    drafts.getState().loadFor(who.user.id);
    realtime.start();
    void refreshDocuments();
  }

  function resetData(): void {
    for (const room of listRooms) realtime.release(room);
    listRooms.clear();
    documents.setState({ documents: {}, loaded: false, listError: null, applications: [], projects: {}, query: "" });
    locks.setState({ live: {} });
    drafts.getState().loadFor(null);
  }

  /** The server ended the session (401 / 4001): keep drafts, call nothing more. */
  function endSessionLocally(reason: string): void {
    documentSession.abandon();
    realtime.stop();
    writeToken(null);
    resetData();
    session.getState().signedOut(reason);
  }

  const actions = {
    /** First screen: setup needed? a stored session still valid? */
    async boot(): Promise<void> {
      try {
        const status = await api.setupStatus();
        if (status.needed) {
          session.getState().needsSetup();
          return;
        }
      } catch (e) {
        session.getState().startFailed(describeError(e));
        return;
      }
      const token = readToken();
      if (token === null) {
        session.getState().signedOut();
        return;
      }
      session.setState({ token });
      try {
        startSession(token, await api.me());
      } catch (e) {
        if (isApiError(e, "unauthenticated")) {
          writeToken(null);
          session.getState().signedOut();
        } else {
          session.setState({ token: null });
          session.getState().startFailed(describeError(e));
        }
      }
    },

    async signIn(username: string, password: string): Promise<void> {
      const result = await api.login(username, password);
      session.setState({ token: result.token });
      startSession(result.token, await api.me());
    },

    async setup(body: z.input<typeof SetupBody>): Promise<void> {
      const result = await api.setup(body);
      session.setState({ token: result.token });
      startSession(result.token, await api.me());
    },

    async signOut(): Promise<void> {
      await documentSession.close();
      try {
        await api.logout();
      } catch {
        // Signed out here either way; the server session expires on its own.
      }
      realtime.stop();
      writeToken(null);
      resetData();
      session.getState().signedOut();
    },

    /** Desktop: move this window to the built-in server or a team server. */
    async switchServer(choice: ServerChoice): Promise<SwitchServerResult> {
      if (env.switchServer === undefined) return { ok: false, error: "failed", message: "Not available in a browser." };
      return env.switchServer(choice);
    },

    refreshDocuments,
    openDocument: (id: string) => documentSession.open(id),
    closeDocument: () => documentSession.close(),

    async createDocument(body: DocumentCreateBody): Promise<string> {
      const doc = await api.createDocument(body);
      const { content: _c, ...summary } = doc;
      documents.getState().upsertDocument(summary);
      locks.getState().setLock(doc.id, doc.lock);
      return doc.id;
    },

    async renameDocument(id: string, title: string): Promise<void> {
      const doc = await api.renameDocument(id, title);
      const { content: _c, ...summary } = doc;
      documents.getState().upsertDocument(summary);
      if (editor.getState().documentId === id) editor.getState().setTitle(doc.title);
    },

    async deleteDocument(id: string): Promise<void> {
      if (editor.getState().documentId === id) await documentSession.close();
      await api.deleteDocument(id);
      documents.getState().removeDocument(id);
      locks.getState().forget(id);
      drafts.getState().remove(id);
    },

    async createProject(applicationId: string, name: string): Promise<void> {
      const project = await api.createProject(applicationId, name);
      const current = documents.getState().projects[applicationId] ?? [];
      documents.getState().setProjects(applicationId, [...current, project]);
    },

    textChanged: (text: string) => documentSession.textChanged(text),
    saveNow: () => documentSession.saveNow(),
    takeOver: () => documentSession.takeOver(),
    retryLock: () => documentSession.retry(),
    reapplyDraft: () => documentSession.reapplyDraft(),
    discardDraft: () => documentSession.discardDraft(),
    dismissNotice: (id: number) => notices.getState().dismiss(id),

    /** pagehide / beforeunload: release the lock with keepalive; keep the draft. */
    unload: () => documentSession.unload(env.fetch),
    /** pageshow from the back/forward cache, or the machine woke up. */
    resume: () => {
      documentSession.resume();
      realtime.reconnectNow();
    },
    setOnline(online: boolean): void {
      connection.getState().setOnline(online);
      if (online) realtime.reconnectNow();
    },
  };

  return {
    stores: { session, documents, locks, connection, drafts, editor, notices },
    api,
    actions,
    /** Stops the socket and the heartbeat worker (tests, hot reload). */
    dispose(): void {
      documentSession.abandon();
      realtime.stop();
      heartbeat.dispose();
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
export type RendererActions = Renderer["actions"];
export type RendererStores = Renderer["stores"];
