import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import { AppError } from "../errors.js";
import { authenticate } from "./auth.js";
import type { HttpDeps } from "./deps.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { mount, type RouteDef } from "./route.js";
import { authRoutes } from "./routes/auth.js";
import { documentRoutes } from "./routes/documents.js";
import { lockRoutes } from "./routes/locks.js";
import { workspaceRoutes } from "./routes/workspaces.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Every REST route, in one list: registered below and described by /api/openapi.json. */
export function apiRoutes(deps: HttpDeps): RouteDef[] {
  return [...authRoutes(deps), ...workspaceRoutes(deps), ...documentRoutes(deps), ...lockRoutes(deps)];
}

/** Bodies must be JSON: anything else on a body-carrying request is a 415 before parsing. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  if (hasBody && !req.is("application/json")) {
    return next(new AppError("unsupported_media_type", "Send the body as application/json."));
  }
  next();
};

export function createHttpApp(deps: HttpDeps, options: { version: string }): Express {
  const { config, metrics } = deps;
  const app = express();
  app.disable("x-powered-by");
  // ETags on API JSON cost CPU on every response and buy nothing for lock state.
  app.set("etag", false);
  app.set("trust proxy", config.trustProxy);

  // DNS-rebinding guard: a loopback server answers only to loopback host names.
  app.use((req, res, next) => {
    if (deps.guard.hostAllowed(req.headers.host)) return next();
    res.status(403).json({ error: { code: "forbidden", message: "Unexpected Host header." } });
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers["x-request-id"];
        const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      // Health probes and metrics scrapes would drown the log.
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
      // One short line per request: the full header dump was ~1.2 kB per request, on the hot path.
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
    }),
  );
  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on("finish", () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          connectSrc: ["'self'", "ws:", "wss:"],
          workerSrc: ["'self'", "blob:"],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'", "data:"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
      // The app is served over plain http on loopback; HSTS there would only break it.
      strictTransportSecurity: false,
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", pid: process.pid });
  });
  app.get("/readyz", async (req, res) => {
    try {
      await deps.ready();
      res.json({ status: "ready" });
    } catch (err) {
      req.log.warn({ err }, "not ready");
      res.setHeader("Retry-After", "2");
      res.status(503).json({ status: "unavailable", error: { code: "store_unavailable", message: "A store is unreachable." } });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  const routes = apiRoutes(deps);
  const openapi = buildOpenApi(routes, { version: options.version });
  app.get("/api/openapi.json", (_req, res) => {
    res.json(openapi);
  });

  const api = express.Router();
  // Lock state and documents change under the client's feet: never from a cache.
  api.use("/api", (_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  api.use(requireJson);
  api.use(authenticate(deps.data.accounts));
  api.use(
    "/api/auth/login",
    rateLimit({
      windowMs: config.loginRateWindowMs,
      limit: config.loginRateLimit,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      // Brute force is what this guards against: successful sign-ins do not count.
      skipSuccessfulRequests: true,
      // X-Forwarded-For without `trust proxy` is ignored on purpose (it is spoofable), not a misconfiguration.
      validate: { xForwardedForHeader: false },
      // req.ip honours `trust proxy`: without it, X-Forwarded-For cannot change the key.
      handler: (_req, _res, next) => next(new AppError("rate_limited", "Too many sign-in attempts. Wait a minute.")),
    }),
  );
  mount(api, routes);
  api.use("/api", notFoundHandler);
  app.use(api);

  const rendererDir = config.rendererDir ? path.resolve(config.rendererDir) : undefined;
  if (rendererDir && existsSync(path.join(rendererDir, "index.html"))) {
    app.use(express.static(rendererDir, { index: "index.html", maxAge: "1h" }));
    // Client-side routes fall back to the app shell.
    app.get(/^\/(?!api\/|ws$).*/, (_req, res) => {
      res.sendFile(path.join(rendererDir, "index.html"), { maxAge: 0 });
    });
  }
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
