import type { z } from "zod";
import {
  ApplicationList,
  Document,
  DocumentList,
  ForceTakeResult,
  LockGrant,
  LockState,
  LoginResult,
  Me,
  Project,
  ProjectList,
  RealtimeTicket,
  ReleaseResult,
  SaveContentResult,
  SetupStatus,
  type ClientId,
  type DocumentCreateBody,
  type LockToken,
  type SaveContentBody,
  type SetupBody,
} from "../../protocol/index.js";
import type { FetchLike, Http } from "./http.js";

const doc = (id: string): string => `/api/documents/${encodeURIComponent(id)}`;

/** Every REST call the renderer makes, typed by the protocol and parsed at this edge. */
export function createApiClient(http: Http) {
  return {
    login: (username: string, password: string) =>
      http.request({ method: "POST", path: "/api/auth/login", body: { username, password }, schema: LoginResult }),
    logout: () => http.request({ method: "POST", path: "/api/auth/logout", schema: null }),
    me: () => http.request({ method: "GET", path: "/api/me", schema: Me }),
    setupStatus: () => http.request({ method: "GET", path: "/api/setup", schema: SetupStatus }),
    setup: (body: z.input<typeof SetupBody>) =>
      http.request({ method: "POST", path: "/api/setup", body, schema: LoginResult }),
    realtimeTicket: () => http.request({ method: "POST", path: "/api/realtime/ticket", schema: RealtimeTicket }),

    applications: () => http.request({ method: "GET", path: "/api/applications", schema: ApplicationList }),
    projects: (applicationId: string) =>
      http.request({
        method: "GET",
        path: `/api/applications/${encodeURIComponent(applicationId)}/projects`,
        schema: ProjectList,
      }),
    createProject: (applicationId: string, name: string) =>
      http.request({
        method: "POST",
        path: `/api/applications/${encodeURIComponent(applicationId)}/projects`,
        body: { name },
        schema: Project,
      }),

    documents: () => http.request({ method: "GET", path: "/api/documents", schema: DocumentList }),
    document: (id: string) => http.request({ method: "GET", path: doc(id), schema: Document }),
    createDocument: (body: DocumentCreateBody) =>
      http.request({ method: "POST", path: "/api/documents", body, schema: Document }),
    renameDocument: (id: string, title: string) =>
      http.request({ method: "PATCH", path: doc(id), body: { title }, schema: Document }),
    deleteDocument: (id: string) => http.request({ method: "DELETE", path: doc(id), schema: null }),
    saveContent: (id: string, body: SaveContentBody) =>
      http.request({ method: "PUT", path: `${doc(id)}/content`, body, schema: SaveContentResult }),

    lockState: (id: string) => http.request({ method: "GET", path: `${doc(id)}/lock`, schema: LockState }),
    acquireLock: (id: string, clientId: ClientId) =>
      http.request({ method: "POST", path: `${doc(id)}/lock`, body: { client_id: clientId }, schema: LockGrant }),
    releaseLock: (id: string, clientId: ClientId) =>
      http.request({ method: "DELETE", path: `${doc(id)}/lock`, body: { client_id: clientId }, schema: ReleaseResult }),
    heartbeat: (id: string, clientId: ClientId, lockToken: LockToken) =>
      http.request({
        method: "POST",
        path: `${doc(id)}/lock/heartbeat`,
        body: { client_id: clientId, lock_token: lockToken },
        schema: LockGrant,
      }),
    forceTake: (id: string, clientId: ClientId) =>
      http.request({
        method: "POST",
        path: `${doc(id)}/lock/force-take`,
        body: { client_id: clientId },
        schema: ForceTakeResult,
      }),

    /** The heartbeat route's URL and headers, for the worker that calls it off the main thread. */
    heartbeatTarget: (id: string) => ({ url: http.url(`${doc(id)}/lock/heartbeat`), headers: http.headers() }),
    /** Absolute URL of an API path (for the WebSocket URL). */
    url: (path: string) => http.url(path),

    /**
     * Release a lock while the page goes away (pagehide / beforeunload). `keepalive` lets the
     * request outlive the page; nothing can be awaited, and if it is lost the lock expires.
     */
    releaseLockOnUnload(fetchImpl: FetchLike, id: string, clientId: ClientId): void {
      void fetchImpl(http.url(`${doc(id)}/lock`), {
        method: "DELETE",
        keepalive: true,
        headers: { ...http.headers(), "Content-Type": "application/json" },
        body: JSON.stringify({ client_id: clientId }),
      }).catch(() => undefined);
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
