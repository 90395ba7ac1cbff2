import http, { type IncomingMessage, type ServerResponse } from "node:http";
import crypto from "node:crypto";
import { URL } from "node:url";
import FindMyWay from "find-my-way";
import type { Logger } from "pino";
import { redactText } from "@liverelay/api";
import { answerPreflight, CORS_HEADERS } from "./cors";
import { ApiProblem, methodNotAllowed, notFound, storeUnavailable, unauthorized } from "./errors";
import { StoreUnavailableError } from "../store/store";
import { readJsonBody } from "./body";
import { streamFile } from "./file-reply";
import type { Reply, Route } from "./route";
import { validate } from "./validate";
import type { Metrics } from "../metrics/metrics";

export interface HttpServerDeps {
  routes: Route[];
  checkToken: (authorization: string | undefined) => boolean;
  logger: Logger;
  metrics: Metrics;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const requestIdOf = (req: IncomingMessage) => {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : `req_${crypto.randomBytes(9).toString("base64url")}`;
};

/** The HTTP API on plain node:http: find-my-way routes, each request validated at the boundary. */
export function createHttpServer(deps: HttpServerDeps): http.Server {
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 512 });
  for (const route of deps.routes) {
    router.on(route.method, route.path, (req, res, params) => {
      void serve(deps, route, req, res, params as Record<string, string>);
    });
    if (route.cors && !router.hasRoute("OPTIONS", route.path)) router.on("OPTIONS", route.path, (req, res) => answerPreflight(req, res));
  }
  const server = http.createServer({ keepAliveTimeout: 5_000, requestTimeout: 30_000 }, (req, res) => {
    const found = router.find(req.method as "GET", (req.url ?? "/").split("?")[0]);
    if (found) return found.handler(req, res, found.params, undefined, found.searchParams);
    void respondToUnknown(deps, router, req, res);
  });
  return server;
}

const ROUTE_METHODS: Route["method"][] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** The methods the route table has for `path` (empty: no such path). */
function allowedMethods(router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, path: string): string[] {
  return ROUTE_METHODS.filter((method) => router.find(method, path) !== null);
}

async function serve(deps: HttpServerDeps, route: Route, req: IncomingMessage, res: ServerResponse, params: Record<string, string>) {
  const started = process.hrtime.bigint();
  const requestId = requestIdOf(req);
  const log = deps.logger.child({ requestId, route: route.path, method: route.method });
  let reply: Reply;
  try {
    if (route.auth && !deps.checkToken(req.headers.authorization)) throw unauthorized();
    const url = new URL(req.url ?? "/", "http://localhost");
    reply = await route.handle({
      params: route.params ? validate(route.params, params, "path") : params,
      query: route.query ? validate(route.query, Object.fromEntries(url.searchParams), "query") : {},
      body: route.body ? await validBody(route, req) : undefined,
      requestId,
      log,
      req,
      res,
    });
  } catch (err) {
    reply = problemReply(err, log);
  }
  if (route.cors) reply.headers = { ...CORS_HEADERS, ...reply.headers };
  send(res, reply, requestId);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  deps.metrics.observeRequest(route.method, route.path, reply.status, seconds);
  const level = reply.status >= 500 ? "error" : route.quiet && reply.status < 400 ? "debug" : "info";
  log[level]({ status: reply.status, ms: Math.round(seconds * 1e4) / 10 }, "request");
}

async function validBody(route: Route, req: IncomingMessage): Promise<unknown> {
  const raw = await readJsonBody(req);
  route.beforeValidation?.(raw);
  return validate(route.body!, raw, "body");
}

/** A known path with another method is 405 with `Allow`; an unknown path is 404. */
async function respondToUnknown(deps: HttpServerDeps, router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, req: IncomingMessage, res: ServerResponse) {
  const requestId = requestIdOf(req);
  req.resume();
  const path = (req.url ?? "/").split("?")[0];
  const allowed = allowedMethods(router, path);
  const problem = allowed.length > 0 ? methodNotAllowed(req.method ?? "?", allowed) : notFound(`no route for ${req.method} ${path}`);
  send(res, problemReply(problem, deps.logger), requestId);
  deps.metrics.observeRequest(req.method ?? "?", "unmatched", problem.status, 0);
}

function problemReply(err: unknown, log: Logger): Reply {
  if (err instanceof StoreUnavailableError) {
    log.warn({ error: err.message }, "store unavailable");
    err = storeUnavailable();
  }
  if (err instanceof ApiProblem) {
    return { status: err.status, headers: err.headers, body: { error: { code: err.code, message: redactText(err.message), ...(err.field ? { field: err.field } : {}) } } };
  }
  log.error({ err }, "unhandled error");
  return { status: 500, body: { error: { code: "Internal", message: "internal error; see the service log for this request id" } } };
}

function send(res: ServerResponse, reply: Reply, requestId: string) {
  if (res.headersSent) return;
  const headers: Record<string, string> = { "x-request-id": requestId, ...reply.headers };
  if (reply.file) {
    res.writeHead(reply.status, headers);
    return streamFile(res, reply.file);
  }
  let payload: string | Buffer | undefined;
  if (reply.raw) {
    headers["content-type"] = reply.raw.contentType;
    payload = reply.raw.text;
  } else if (reply.body !== undefined) {
    const body = reply.body as { error?: Record<string, unknown> };
    if (body.error) body.error.requestId = requestId;
    headers["content-type"] = "application/json; charset=utf-8";
    payload = JSON.stringify(body);
  }
  if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}
