import type { Role } from "../../../protocol/index.js";
import type { LockstepServer } from "../../../server/app.js";
import type { Reply } from "../../helpers/server.js";

/** A JSON request against any server URL (the test servers' `call` is bound to one server). */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const TEAM_PASSWORD = "reliability-pass";

export interface TeamMember {
  readonly username: string;
  readonly userId: string;
  readonly role: Role;
}

/**
 * Creates `count` users through the server's own data store and makes them members of
 * `applicationId` with the role `roleOf(i)` picks. Usernames are `<prefix>NN`.
 */
export async function buildTeam(
  server: LockstepServer,
  applicationId: string,
  count: number,
  roleOf: (i: number) => Role,
  prefix = "member",
): Promise<TeamMember[]> {
  const hash = await server.data.accounts.hashPassword(TEAM_PASSWORD);
  return Array.from({ length: count }, (_, i) => {
    const username = `${prefix}${String(i).padStart(2, "0")}`;
    const user = server.data.accounts.insertUser({ username, displayName: `Member ${i}` }, hash);
    const role = roleOf(i);
    server.data.workspaces.setMember(applicationId, user.id, role);
    return { username, userId: user.id, role };
  });
}

/** Signs in over HTTP and returns the bearer token. */
export async function signIn(baseUrl: string, username: string, password = TEAM_PASSWORD): Promise<string> {
  const reply = await api(baseUrl, "POST", "/api/auth/login", { body: { username, password } });
  if (reply.status !== 200) throw new Error(`login ${username}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.token as string;
}
