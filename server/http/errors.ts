import type { ErrorRequestHandler, RequestHandler } from "express";
import { ERROR_STATUS, type ErrorBody } from "../../protocol/index.js";
import { AppError, LockHolderError, StoreUnavailableError } from "../errors.js";
import { toHolder } from "./wire.js";

/**
 * Errors raised by body-parser and the router carry a numeric `status` (and body-parser's a
 * `type`): a body whose Content-Encoding does not decode, a path with bad percent-encoding.
 */
interface ParserError {
  type?: unknown;
  status: number;
}

const isParserError = (err: unknown): err is ParserError =>
  typeof err === "object" && err !== null && typeof (err as { status?: unknown }).status === "number";

/** Maps anything thrown in a route to one response shape. The only place that does so. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const requestId = String(req.id ?? "");
  let body: ErrorBody;
  let status: number;

  if (err instanceof AppError) {
    status = ERROR_STATUS[err.code];
    body = { error: { code: err.code, message: err.message, ...err.details } };
    if (err instanceof LockHolderError) {
      body.error.holder = toHolder(err.holder, res.locals.session?.user.id);
    }
    if (err instanceof StoreUnavailableError) {
      res.setHeader("Retry-After", String(err.retryAfterSeconds));
      req.log?.warn({ err: err.cause ?? err }, "lock store unavailable");
    }
  } else if (isParserError(err) && err.type === "entity.too.large") {
    status = 413;
    body = { error: { code: "payload_too_large", message: "The request body is too large." } };
  } else if (isParserError(err) && err.type === "entity.parse.failed") {
    status = 400;
    body = { error: { code: "invalid_input", message: "The request body is not valid JSON." } };
  } else if (isParserError(err) && err.status >= 400 && err.status < 500) {
    status = err.status;
    body = { error: { code: "invalid_input", message: "The request could not be read." } };
  } else {
    status = 500;
    body = { error: { code: "internal", message: "Something went wrong on the server." } };
    req.log?.error({ err }, "unhandled error");
  }
  body.error.request_id = requestId;
  if (res.headersSent) return;
  res.status(status).json(body);
};

/** Unknown routes under /api answer in the same shape. */
export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({
    error: { code: "not_found", message: `No route ${req.method} ${req.path}.`, request_id: String(req.id ?? "") },
  } satisfies ErrorBody);
};
