import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";

describe("authentication", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(() => svc?.stop());

  const templates = "/v1/domains/shows.example.com/relay-templates";

  it.each([
    ["no header", {}],
    ["wrong token", { authorization: "Bearer wrong-token-0123456789" }],
    ["wrong scheme", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
    ["token prefix only", { authorization: "Bearer test-token" }],
  ])("refuses /v1 with %s → 401 Unauthorized", async (_label, headers) => {
    const res = await fetch(svc.url + templates, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const body: any = await res.json();
    expect(body.error.code).toBe("Unauthorized");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("accepts the configured token", async () => {
    const res = await apiClient(svc)("GET", templates);
    expect(res.status).toBe(200);
  });

  it("keeps /healthz, /readyz and /openapi.json open, /metrics closed", async () => {
    for (const p of ["/healthz", "/readyz", "/openapi.json"]) expect((await fetch(svc.url + p)).status).toBe(200);
    expect((await fetch(svc.url + "/metrics")).status).toBe(401);
    const metrics = await apiClient(svc)("GET", "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("liverelay_http_requests_total");
    expect(metrics.body).toMatch(/liverelay_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/domains\/:domain\/relay-templates"[^}]*status="200"/);
  });

  it("sets x-request-id on every response, echoing a sane client id", async () => {
    for (const p of ["/healthz", "/nope", templates]) {
      const res = await fetch(svc.url + p);
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    }
    const echoed = await fetch(svc.url + "/healthz", { headers: { "x-request-id": "client-abc.1" } });
    expect(echoed.headers.get("x-request-id")).toBe("client-abc.1");
    const unsafe = await fetch(svc.url + "/healthz", { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^req_/);
  });
});

describe("generated token", () => {
  it("is created at first start with mode 0600, reused after restart, and never printed", async () => {
    const first = await startService({ token: null });
    try {
      const file = path.join(first.dataDir, "api-token");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(first.output.join("\n")).toContain(file);
      expect(first.output.join("\n")).not.toContain(first.token);
      expect((await apiClient(first)("GET", "/v1/domains/a.example.com/quota")).status).toBe(200);
    } finally {
      await first.stop();
    }
    const second = await startService({ token: null, dataDir: first.dataDir });
    try {
      expect(second.token).toBe(first.token);
      expect((await apiClient(second)("GET", "/v1/domains/a.example.com/quota")).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
