import type { Request, Response, Router } from "express";
import type { z } from "zod";
import type { ErrorCode } from "../../protocol/index.js";
import { InvalidInputError } from "../errors.js";
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

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  throw new InvalidInputError(`Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
}

/** Registers the routes on a router: auth, then validation of params, query, body, then the handler. */
export function mount(router: Router, routes: readonly RouteDef[]): void {
  for (const def of routes) {
    router[def.method](def.path, async (req: Request, res: Response) => {
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
