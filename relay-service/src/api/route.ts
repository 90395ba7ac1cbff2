import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Logger } from "pino";

export interface RequestContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  requestId: string;
  log: Logger;
  req: IncomingMessage;
  res: ServerResponse;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw payload already serialised (metrics text, OpenAPI document, console assets, a media segment); skips JSON encoding. */
  raw?: { contentType: string; text: string | Buffer };
  /** A file streamed from disk, bytes start..end inclusive (see fileReply: headers and status are set there). */
  file?: { path: string; start: number; end: number };
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/**
 * One route: the schemas that validate it at the boundary, the OpenAPI facts derived from
 * them, and the handler. The router and `/openapi.json` are both built from this table.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Open routes are only /healthz, /readyz, /openapi.json, the console's static files and the playback routes (which authorise reads themselves). */
  auth: boolean;
  /** Not part of the API (the console's static files): left out of `/openapi.json`. */
  undocumented?: boolean;
  /** Readable from pages on other origins: CORS headers on every answer, and OPTIONS preflights answered. */
  cors?: boolean;
  /** Asked many times a second per client (HLS playlists and segments): successes are logged at debug, refusals at info. */
  quiet?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Runs on the parsed JSON before `body` validates it, for checks that need their own error code. */
  beforeValidation?: (raw: unknown) => void;
  /** Header parameters documented in the OpenAPI document (e.g. Idempotency-Key). */
  headers?: { name: string; description: string; pattern?: string }[];
  responses: Record<number, ResponseSpec>;
  handle(ctx: RequestContext<P, Q, B>): Promise<Reply> | Reply;
}

export const defineRoute = <P, Q, B>(route: Route<P, Q, B>): Route => route as unknown as Route;

/** find-my-way's `:param` syntax as OpenAPI's `{param}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, "{$1}");
