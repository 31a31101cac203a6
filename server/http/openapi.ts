import { z } from "zod";
import { ERROR_STATUS, ErrorBody, type ErrorCode } from "../../protocol/index.js";
import type { RouteDef } from "./route.js";

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
};

/** Path parameters of a route, from its params schema (an object of strings). */
function pathParameters(def: RouteDef): JsonSchema[] {
  if (!def.params) return [];
  const schema = jsonSchema(def.params, "input") as { properties?: Record<string, JsonSchema> };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: "path", required: true, schema: s }));
}

/**
 * The OpenAPI 3.1 document, generated from the route definitions and their zod schemas: the
 * same objects that register and validate the routes, so it cannot drift from them.
 */
export function buildOpenApi(routes: readonly RouteDef[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorSchema = jsonSchema(ErrorBody, "output");

  for (const def of routes) {
    const path = def.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const responses: Record<string, JsonSchema> = {};
    const status = String(def.status ?? 200);
    responses[status] =
      def.response && status !== "204"
        ? { description: "OK", content: { "application/json": { schema: jsonSchema(def.response, "output") } } }
        : { description: "No content" };
    const codes = new Set<ErrorCode>(["invalid_input", "internal", ...(def.errors ?? [])]);
    if (def.auth !== false) codes.add("unauthenticated");
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
    for (const [s, list] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(s)] = {
        description: `Error: ${list.join(", ")}`,
        content: { "application/json": { schema: errorSchema } },
      };
    }
    const operation: JsonSchema = {
      summary: def.summary,
      tags: [def.tag],
      operationId: `${def.method}_${def.path.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")}`,
      parameters: pathParameters(def),
      responses,
    };
    if (def.body) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: jsonSchema(def.body, "input") } },
      };
    }
    if (def.auth !== false) operation.security = [{ bearer: [] }];
    (paths[path] ??= {})[def.method] = operation;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Lockstep lock server",
      version: info.version,
      description:
        "Document edit locks with fencing tokens, team workspaces and documents. " +
        "Live lock events: WebSocket at /ws?ticket=… (see POST /api/realtime/ticket).",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
