import type { RequestHandler, Response } from "express";
import { UnauthenticatedError } from "../errors.js";
import type { Accounts, SessionInfo } from "../store/index.js";

declare module "express-serve-static-core" {
  interface Locals {
    /** The caller's session, set by `authenticate` when a valid bearer token came with the request. */
    session?: SessionInfo;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,200})$/;

/**
 * Reads `Authorization: Bearer <token>` when present and valid. Routes that need a session
 * call `requireSession`, which answers 401 for a missing, malformed, unknown or expired token;
 * public routes (login, setup) ignore a stale token.
 */
export function authenticate(accounts: Accounts): RequestHandler {
  return (req, res, next) => {
    const token = BEARER.exec(req.headers.authorization ?? "")?.[1];
    const session = token ? accounts.authenticate(token) : undefined;
    if (session) res.locals.session = session;
    next();
  };
}

export function requireSession(res: Response): SessionInfo {
  const session = res.locals.session;
  if (!session) throw new UnauthenticatedError();
  return session;
}
