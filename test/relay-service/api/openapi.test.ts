import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayTemplateCreate } from "@liverelay/api";
import { z } from "zod";
import http from "node:http";
import { startService, type ServiceHandle } from "../../helpers/service";

/** node:http, because fetch refuses methods such as TRACE. */
function request(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /openapi.json", () => {
  let svc: ServiceHandle;
  let doc: any;
  beforeAll(async () => {
    svc = await startService();
    doc = await (await fetch(`${svc.url}/openapi.json`)).json();
  });
  afterAll(() => svc?.stop());

  it("is OpenAPI 3.1 with every v1 operation", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
    expect(ops).toEqual(expect.arrayContaining(["createRelayTemplate", "listRelayTemplates", "getRelayTemplate", "updateRelayTemplate", "deleteRelayTemplate", "getQuota", "listDomains"]));
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
    expect(doc.paths["/healthz"].get.security).toEqual([]);
  });

  it("is generated from the zod schemas that validate requests", () => {
    const body = doc.paths["/v1/domains/{domain}/relay-templates"].post.requestBody.content["application/json"].schema;
    const resolved = body.$ref ? doc.components.schemas[body.$ref.split("/").pop()] : body;
    const generated = z.toJSONSchema(RelayTemplateCreate, { io: "input", unrepresentable: "any" }) as any;
    const fromZod = generated.$defs?.RelayTemplateCreate ?? generated;
    expect(Object.keys(resolved.properties)).toEqual(Object.keys(fromZod.properties));
    expect(resolved.additionalProperties).toBe(false);
    expect(resolved.properties.appName.pattern).toBe(fromZod.properties.appName.pattern);
    const refs = JSON.stringify(doc).match(/"\$ref":"([^"]+)"/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas[ref.split("/").pop()!.replace('"', "")]).toBeDefined();
  });

  it("states what the server validates: domain pattern, cursor form, window rules, 401 on /metrics, 431 everywhere", () => {
    const domain = doc.paths["/v1/domains/{domain}/quota"].get.parameters.find((p: any) => p.name === "domain");
    const pattern = new RegExp(domain.schema.pattern);
    expect(["shows.example.com", "a", "x-1.b"].every((d) => pattern.test(d))).toBe(true);
    expect(["Shows.example.com", "-a.com", "a..b", "a_b.com"].some((d) => pattern.test(d))).toBe(false);
    expect(domain.schema.maxLength).toBe(253);
    const cursor = doc.paths["/v1/domains/{domain}/relay-templates"].get.parameters.find((p: any) => p.name === "cursor");
    expect(cursor.schema.pattern).toBe("^[A-Za-z0-9_-]{1,200}$");
    const create = doc.components.schemas.RelayTemplateCreate;
    expect(create["x-window-rules"]).toContain("startTime < endTime");
    expect(create.then.required).toEqual(["startTime", "endTime"]);
    expect(doc.paths["/metrics"].get.responses["401"]).toBeDefined();
    for (const path of Object.values(doc.paths) as any[]) for (const op of Object.values(path) as any[]) expect(op.responses["431"]).toBeDefined();
    expect(doc.info.description).toMatch(/405/);
  });
});

describe("the HTTP layer answers as documented", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(() => svc?.stop());
  const auth = () => ({ authorization: `Bearer ${svc.token}` });

  it("a known path with a method it does not have is 405 with Allow, not 404", async () => {
    const cases: [string, string, string][] = [
      ["TRACE", "/healthz", "GET"],
      ["POST", "/openapi.json", "GET"],
      ["DELETE", "/v1/domains/shows.example.com/quota", "GET"],
      ["PUT", "/v1/domains/shows.example.com/relay-templates", "GET, POST"],
      ["POST", "/v1/domains/shows.example.com/relay-templates/rt_1", "GET, PATCH, DELETE"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await request(svc.url + path, method, auth());
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(JSON.parse(res.body).error.code).toBe("MethodNotAllowed");
    }
    expect((await fetch(`${svc.url}/v1/nothing-here`, { headers: auth() })).status).toBe(404);
  });

  it("a request line or headers over 16 KiB is 431", async () => {
    const longPath = await fetch(`${svc.url}/v1/domains/${"a".repeat(17_000)}.com/quota`, { headers: auth() }).catch((e: Error) => e);
    expect(longPath instanceof Error ? longPath.message : longPath.status).toBe(431);
    const bigHeader = await fetch(`${svc.url}/v1/domains/shows.example.com/quota`, { headers: { ...auth(), "x-padding": "p".repeat(17_000) } });
    expect(bigHeader.status).toBe(431);
  });

  it("any cursor of the documented form is a page position, others are 400", async () => {
    const base = `${svc.url}/v1/domains/shows.example.com/relay-templates`;
    expect((await fetch(`${base}?cursor=${"Zz-_09".repeat(30)}`, { headers: auth() })).status).toBe(200);
    expect((await fetch(`${base}?cursor=not%20a%20cursor`, { headers: auth() })).status).toBe(400);
  });
});

