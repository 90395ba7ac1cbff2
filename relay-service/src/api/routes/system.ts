import type { Registry } from "prom-client";
import { defineRoute, type Route } from "../route";

export interface SystemRoutesDeps {
  isReady: () => boolean;
  metricsRegistry: Registry;
  openApi: () => Record<string, unknown>;
}

/** Health, readiness, the API description (open) and Prometheus metrics (behind the token). */
export function systemRoutes(deps: SystemRoutesDeps): Route[] {
  let openApiText: string | undefined;
  return [
    defineRoute({
      method: "GET",
      path: "/healthz",
      operationId: "health",
      summary: "Liveness: the process answers",
      tag: "system",
      auth: false,
      responses: { 200: { description: "Alive" } },
      handle: () => ({ status: 200, body: { status: "ok" } }),
    }),
    defineRoute({
      method: "GET",
      path: "/readyz",
      operationId: "ready",
      summary: "Readiness: the store is open and reachable and every listener is bound",
      tag: "system",
      auth: false,
      responses: { 200: { description: "Ready" }, 503: { description: "Starting or stopping, or the store (PostgreSQL) is unreachable" } },
      handle: () => (deps.isReady() ? { status: 200, body: { status: "ready" } } : { status: 503, body: { status: "not-ready" } }),
    }),
    defineRoute({
      method: "GET",
      path: "/openapi.json",
      operationId: "openApi",
      summary: "This API's OpenAPI 3.1 document",
      tag: "system",
      auth: false,
      responses: { 200: { description: "OpenAPI document" } },
      handle: () => ({ status: 200, raw: { contentType: "application/json; charset=utf-8", text: (openApiText ??= JSON.stringify(deps.openApi())) } }),
    }),
    defineRoute({
      method: "GET",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics",
      tag: "system",
      auth: true,
      responses: { 200: { description: "Prometheus text exposition format" } },
      handle: async () => ({ status: 200, raw: { contentType: deps.metricsRegistry.contentType, text: await deps.metricsRegistry.metrics() } }),
    }),
  ];
}
