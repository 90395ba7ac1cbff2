import { z } from "zod";
import { ErrorBody } from "@liverelay/api";
import { openApiPath, type ResponseSpec, type Route } from "./route";

type JsonSchema = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document, derived from the route table and the zod schemas that validate
 * requests (zod emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Never hand-written.
 */
export function buildOpenApi(routes: Route[], version: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: "input" | "output") => hoist(z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema, components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes.filter((r) => !r.undocumented)) {
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(route.params, "path", toSchema), ...parameters(route.query, "query", toSchema), ...headerParameters(route)],
      responses: Object.fromEntries(
        Object.entries(withServerResponses(route)).map(([status, spec]) => [
          status,
          { description: spec.description, ...(spec.schema ? { content: { "application/json": { schema: toSchema(spec.schema, "output") } } } : {}) },
        ]),
      ),
      ...(route.auth ? {} : { security: [] }),
    };
    if (route.body) operation.requestBody = { required: true, content: { "application/json": { schema: toSchema(route.body, "input") } } };
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "LiveRelay API", version, description: DESCRIPTION },
    security: [{ bearerAuth: [] }],
    paths,
    components: { schemas: components, securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
  };
}

const DESCRIPTION = [
  "Relay templates forward live RTMP/SRT streams to third-party ingest URLs.",
  "Every path answers a method it does not list with 405 MethodNotAllowed and an `Allow` header naming the methods it has;",
  "an unknown path is 404. A request line and headers over 16 KiB in all are answered 431 by the HTTP layer, without a body.",
].join(" ");

/** Answers the HTTP layer gives on every route, beside what the route documents. */
function withServerResponses(route: Route): Record<number, ResponseSpec> {
  const server: Record<number, ResponseSpec> = { 431: { description: "Request line or headers over 16 KiB in all (no body; the connection is closed)" } };
  if (route.auth) server[401] = { description: "Missing or invalid bearer token", schema: ErrorBody };
  return { ...server, ...route.responses };
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query", toSchema: (s: z.ZodType, io: "input") => JsonSchema) {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));
}

const headerParameters = (route: Route) =>
  (route.headers ?? []).map((h) => ({
    name: h.name, in: "header", required: false, description: h.description,
    schema: { type: "string", ...(h.pattern ? { pattern: h.pattern } : {}) },
  }));

/** Moves zod's `$defs` (schemas with a meta id) into components and points the refs there. */
function hoist(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _ignored, $defs, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries($defs ?? {})) components[name] ??= rewriteRefs(def) as JsonSchema;
  return rewriteRefs(rest) as JsonSchema;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? v.replace("#/$defs/", "#/components/schemas/") : rewriteRefs(v)]),
  );
}
