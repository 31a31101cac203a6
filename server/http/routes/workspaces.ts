import {
  Application,
  ApplicationCreateBody,
  ApplicationList,
  ApplicationIdParams,
  Member,
  MemberList,
  MemberParams,
  MemberUpsertBody,
  Project,
  ProjectCreateBody,
  ProjectList,
} from "../../../protocol/index.js";
import { canCreateIn, canManage } from "../../access/index.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../errors.js";
import type { HttpDeps } from "../deps.js";
import { defineRoute, type RouteDef } from "../route.js";

export function workspaceRoutes(deps: HttpDeps): RouteDef[] {
  const { workspaces, accounts } = deps.data;

  /** The caller's role; 404 for non-members (an application's existence is not revealed). */
  const roleIn = (userId: string, applicationId: string) => {
    const role = workspaces.roleOf(userId, applicationId);
    if (!role) throw new NotFoundError("Application");
    return role;
  };
  const requireOwner = (userId: string, applicationId: string): void => {
    if (!canManage(roleIn(userId, applicationId))) {
      throw new ForbiddenError("Only the application's owners can manage its members and projects.");
    }
  };

  return [
    defineRoute({
      method: "get",
      path: "/api/applications",
      summary: "Applications I belong to, with my role",
      tag: "applications",
      response: ApplicationList,
      handler: ({ session }) => ({ applications: workspaces.applicationsOf(session.user.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/applications",
      summary: "Create an application; the caller becomes its owner",
      tag: "applications",
      body: ApplicationCreateBody,
      response: Application,
      status: 201,
      handler: ({ body, session }) => ({ ...workspaces.createApplication(body.name, session.user.id), role: "owner" as const }),
    }),
    defineRoute({
      method: "get",
      path: "/api/applications/:id/members",
      summary: "Members of an application and their roles",
      tag: "applications",
      params: ApplicationIdParams,
      response: MemberList,
      errors: ["not_found"],
      handler: ({ params, session }) => {
        roleIn(session.user.id, params.id);
        return { members: workspaces.members(params.id) };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/applications/:id/members",
      summary: "Add a member or change a member's role (owners)",
      tag: "applications",
      params: ApplicationIdParams,
      body: MemberUpsertBody,
      response: Member,
      errors: ["not_found", "forbidden", "conflict"],
      handler: ({ params, body, session }) => {
        requireOwner(session.user.id, params.id);
        const user = accounts.findUserByUsername(body.username);
        if (!user) throw new NotFoundError("User");
        const current = workspaces.roleOf(user.id, params.id);
        if (current === "owner" && body.role !== "owner" && workspaces.ownerCount(params.id) === 1) {
          throw new ConflictError("An application needs at least one owner.");
        }
        workspaces.setMember(params.id, user.id, body.role);
        return { user_id: user.id, username: user.username, display_name: user.display_name, role: body.role };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/applications/:id/members/:userId",
      summary: "Remove a member (owners); their open sockets leave the application's rooms at once",
      tag: "applications",
      params: MemberParams,
      status: 204,
      errors: ["not_found", "forbidden", "conflict"],
      handler: async ({ params, session }) => {
        requireOwner(session.user.id, params.id);
        const role = workspaces.roleOf(params.userId, params.id);
        if (!role) throw new NotFoundError("Member");
        if (role === "owner" && workspaces.ownerCount(params.id) === 1) {
          throw new ConflictError("An application needs at least one owner.");
        }
        workspaces.removeMember(params.id, params.userId);
        await deps.bus.publish({ kind: "membership_revoked", user_id: params.userId, application_id: params.id });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/applications/:id/projects",
      summary: "Projects of an application",
      tag: "applications",
      params: ApplicationIdParams,
      response: ProjectList,
      errors: ["not_found"],
      handler: ({ params, session }) => {
        roleIn(session.user.id, params.id);
        return { projects: workspaces.projects(params.id) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/applications/:id/projects",
      summary: "Create a project in an application (owners and editors)",
      tag: "applications",
      params: ApplicationIdParams,
      body: ProjectCreateBody,
      response: Project,
      status: 201,
      errors: ["not_found", "forbidden"],
      handler: ({ params, body, session }) => {
        if (!canCreateIn(roleIn(session.user.id, params.id))) {
          throw new ForbiddenError("Viewers cannot create projects.");
        }
        return workspaces.createProject(params.id, body.name);
      },
    }),
  ];
}
