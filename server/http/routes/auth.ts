import type { z } from "zod";
import {
  LoginBody,
  LoginResult,
  Me,
  RealtimeTicket,
  SetupBody,
  SetupStatus,
} from "../../../protocol/index.js";
import { ConflictError, ForbiddenError, UnauthenticatedError } from "../../errors.js";
import { isLoopbackAddress } from "../../realtime/guard.js";
import type { SessionInfo, UserRow } from "../../store/index.js";
import type { HttpDeps } from "../deps.js";
import { defineRoute, type RouteDef } from "../route.js";
import { iso } from "../wire.js";

const toUser = (u: UserRow) => ({ id: u.id, username: u.username, display_name: u.display_name });

export function authRoutes(deps: HttpDeps): RouteDef[] {
  const { accounts, workspaces } = deps.data;

  const signIn = (user: UserRow): z.input<typeof LoginResult> => {
    const session = accounts.createSession(user.id);
    return { token: session.token, user: toUser(user), expires_at: iso(session.expiresAt) };
  };

  const me = (session: SessionInfo): z.input<typeof Me> => ({
    user: toUser(session.user),
    memberships: workspaces.applicationsOf(session.user.id).map((a) => ({
      application_id: a.id,
      application_name: a.name,
      role: a.role,
    })),
  });

  return [
    defineRoute({
      method: "post",
      path: "/api/auth/login",
      summary: "Sign in with username and password; returns a bearer token",
      tag: "auth",
      auth: false,
      body: LoginBody,
      response: LoginResult,
      errors: ["rate_limited"],
      handler: async ({ body }) => {
        const user = await accounts.checkPassword(body.username, body.password);
        if (!user) throw new UnauthenticatedError("Wrong username or password.");
        return signIn(user);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/auth/logout",
      summary: "Revoke the current session; its WebSockets close",
      tag: "auth",
      status: 204,
      handler: async ({ session }) => {
        accounts.revokeSession(session.sessionHash);
        await deps.bus.publish({ kind: "session_revoked", session_hash: session.sessionHash });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/me",
      summary: "The signed-in user and their application memberships",
      tag: "auth",
      response: Me,
      handler: ({ session }) => me(session),
    }),
    defineRoute({
      method: "post",
      path: "/api/realtime/ticket",
      summary: "A single-use ticket (30 s) to open the WebSocket at /ws?ticket=…",
      tag: "realtime",
      response: RealtimeTicket,
      handler: ({ session }) => {
        const t = accounts.createTicket(session.sessionHash);
        return { ticket: t.ticket, expires_at: iso(t.expiresAt) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/setup",
      summary: "Whether the server still needs its first account",
      tag: "auth",
      auth: false,
      response: SetupStatus,
      handler: () => ({ needed: accounts.userCount() === 0 }),
    }),
    defineRoute({
      method: "post",
      path: "/api/setup",
      summary: "Create the first account (owner of a first application) and sign in; only while there is none",
      tag: "auth",
      auth: false,
      body: SetupBody,
      response: LoginResult,
      status: 201,
      errors: ["conflict", "forbidden"],
      handler: async ({ body, req }) => {
        // Whoever sets up first becomes owner: on a server open to the network that must not
        // be a stranger. Remote first accounts are made by IT with `npm run admin`.
        if (!isLoopbackAddress(req.socket.remoteAddress)) {
          throw new ForbiddenError(
            "The first account can only be created on the server's own machine (or with `npm run admin -- create-user`).",
          );
        }
        const hash = await accounts.hashPassword(body.password);
        // Check and insert in one immediate transaction: two concurrent setups (even in two
        // worker processes) cannot both create a first owner.
        const user = deps.data.db
          .transaction(() => {
            if (accounts.userCount() > 0) {
              throw new ConflictError("This server is already set up. Sign in instead.");
            }
            const created = accounts.insertUser({ username: body.username, displayName: body.display_name }, hash);
            workspaces.createApplication(body.application_name, created.id);
            return created;
          })
          .immediate();
        return signIn(user);
      },
    }),
  ];
}
