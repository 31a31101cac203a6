import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import type { z } from "zod";
import type { ErrorCode } from "../../protocol/index.js";
import { InvalidInputError, UnauthenticatedError } from "../errors.js";
import type { SessionInfo } from "../store/index.js";
import { requireSession } from "./auth.js";

type Method = "get" | "post" | "put" | "patch" | "delete";

export interface RouteContext<P, B, Q, S> {
  readonly req: Request;
  readonly res: Response;
  readonly params: P;
  readonly body: B;
  readonly query: Q;
  readonly session: S;
}

/**
 * One REST route: how it is called, what it accepts and answers, and its handler. The same
 * definitions register the Express routes and generate /api/openapi.json, so the document
 * describes exactly the routes that exist.
 */
export interface RouteDef<
  P extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  A extends boolean = boolean,
> {
  readonly method: Method;
  /** Express path, e.g. /api/documents/:id/lock */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Needs a bearer token (default true). */
  readonly auth?: A;
  readonly params?: P;
  readonly body?: B;
  readonly query?: Q;
  /** The success body; absent for 204. */
  readonly response?: R;
  readonly status?: 200 | 201 | 204;
  /** Accepts bodies up to 5 MB (document content) instead of 64 KB. */
  readonly largeBody?: boolean;
  /** Error codes this route can answer with besides invalid_input/unauthenticated/internal. */
  readonly errors?: readonly ErrorCode[];
  readonly handler: (
    ctx: RouteContext<z.output<P>, z.output<B>, z.output<Q>, A extends false ? SessionInfo | undefined : SessionInfo>,
  ) => Promise<z.input<R> | void> | z.input<R> | void;
}

export function defineRoute<
  P extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUndefined,
  A extends boolean = true,
>(def: RouteDef<P, B, Q, R, A>): RouteDef {
  return def as unknown as RouteDef;
}

/** An error answer stays small whatever was sent: a body with 300,000 bad keys gets 20 lines. */
const MAX_ISSUES = 20;
const clip = (text: string, max = 200): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const all = result.error.issues;
  const issues = all.slice(0, MAX_ISSUES).map((i) => ({
    path: clip([where, ...i.path.map(String)].join(".")),
    message: clip(i.message),
  }));
  const more = all.length > MAX_ISSUES ? ` (and ${all.length - MAX_ISSUES} more)` : "";
  throw new InvalidInputError(
    `Invalid ${where}: ${issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join("; ")}${all.length > 3 ? "; …" : ""}${more}`,
    issues,
  );
}

/** JSON bodies: small by default; routes that carry document content opt into the large limit. */
const smallJson = express.json({ limit: "64kb", strict: true });
/** A 1,000,000-character document is up to ~4 MB of UTF-8, plus JSON escaping. */
const largeJson = express.json({ limit: "5mb", strict: true });

/** Registers the routes on a router: auth, then validation of params, query, body, then the handler. */
export function mount(router: Router, routes: readonly RouteDef[]): void {
  for (const def of routes) {
    // The session is checked before the body is parsed: a caller without one never gets a
    // multi-megabyte body parsed.
    const gate: RequestHandler = (_req, res, next) => {
      if (def.auth !== false && !res.locals.session) return next(new UnauthenticatedError());
      next();
    };
    router[def.method](def.path, gate, def.largeBody ? largeJson : smallJson, async (req: Request, res: Response) => {
      const session = def.auth === false ? res.locals.session : requireSession(res);
      const params = def.params ? parse(def.params, req.params, "path") : undefined;
      const query = def.query ? parse(def.query, req.query, "query") : undefined;
      // A route without a body schema ignores whatever was sent.
      const body = def.body ? parse(def.body, req.body ?? {}, "body") : undefined;
      const result = await def.handler({ req, res, params, body, query, session });
      if (res.headersSent) return;
      if (def.status === 204 || result === undefined) {
        res.status(204).end();
        return;
      }
      res.status(def.status ?? 200).json(result);
    });
  }
}
