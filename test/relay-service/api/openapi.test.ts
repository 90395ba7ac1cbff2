import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayTemplateCreate } from "@liverelay/api";
import { z } from "zod";
import { startService, type ServiceHandle } from "../../helpers/service";

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
    expect(ops).toEqual(expect.arrayContaining(["createRelayTemplate", "listRelayTemplates", "getRelayTemplate", "updateRelayTemplate", "deleteRelayTemplate", "getQuota"]));
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
});
