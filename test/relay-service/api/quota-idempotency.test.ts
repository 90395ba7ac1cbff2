import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";

const template = (i: number, over: Record<string, unknown> = {}) => ({
  appName: "live",
  streamName: "show",
  destinationUrl: `rtmp://dest.example.com/app/key-${i}`,
  mode: "always",
  ...over,
});

describe("quota", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(() => svc?.stop());

  it("holds under concurrency: 230 simultaneous creates → exactly 200, other domains unaffected", async () => {
    const results = await Promise.all(Array.from({ length: 230 }, (_, i) => call("POST", "/v1/domains/busy.example.com/relay-templates", template(i))));
    const byStatus = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ 201: 200, 409: 30 });
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === "QuotaExceeded")).toBe(true);
    expect((await call("GET", "/v1/domains/busy.example.com/quota")).body).toEqual({ destinationUrls: { used: 200, limit: 200 } });
    expect((await call("POST", "/v1/domains/quiet.example.com/relay-templates", template(1))).status).toBe(201);
    expect((await call("GET", "/v1/domains/quiet.example.com/quota")).body).toEqual({ destinationUrls: { used: 1, limit: 200 } });
  });

  it("frees a slot on delete", async () => {
    const list = await call("GET", "/v1/domains/busy.example.com/relay-templates?limit=1");
    expect((await call("DELETE", `/v1/domains/busy.example.com/relay-templates/${list.body.items[0].id}`)).status).toBe(204);
    expect((await call("POST", "/v1/domains/busy.example.com/relay-templates", template(999))).status).toBe(201);
    expect((await call("POST", "/v1/domains/busy.example.com/relay-templates", template(1000))).body.error.code).toBe("QuotaExceeded");
  });
});

describe("--max-destinations-per-domain", () => {
  it("sets the limit", async () => {
    const svc = await startService({ args: ["--max-destinations-per-domain", "2"] });
    try {
      const call = apiClient(svc);
      for (const i of [1, 2]) expect((await call("POST", "/v1/domains/a.example.com/relay-templates", template(i))).status).toBe(201);
      const third = await call("POST", "/v1/domains/a.example.com/relay-templates", template(3));
      expect(third.status).toBe(409);
      expect(third.body.error.code).toBe("QuotaExceeded");
      expect((await call("GET", "/v1/domains/a.example.com/quota")).body.destinationUrls).toEqual({ used: 2, limit: 2 });
    } finally {
      await svc.stop();
    }
  });
});

describe("Idempotency-Key", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(() => svc?.stop());
  const url = "/v1/domains/idem.example.com/relay-templates";

  it("returns the first response for the same key and body, creating nothing more", async () => {
    const first = await call("POST", url, template(1), { "idempotency-key": "key-1" });
    const again = await call("POST", url, template(1), { "idempotency-key": "key-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect((await call("GET", url)).body.items).toHaveLength(1);
  });

  it("replays concurrent retries of the same key as one create", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => call("POST", url, template(2), { "idempotency-key": "key-2" })));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.every((r) => r.status === 201)).toBe(true);
  });

  it("refuses the same key with a different body → 409", async () => {
    await call("POST", url, template(3), { "idempotency-key": "key-3" });
    const other = await call("POST", url, template(4), { "idempotency-key": "key-3" });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: "Conflict", field: "Idempotency-Key" });
  });

  it("scopes keys per domain", async () => {
    const a = await call("POST", "/v1/domains/one.example.com/relay-templates", template(5), { "idempotency-key": "shared" });
    const b = await call("POST", "/v1/domains/two.example.com/relay-templates", template(5), { "idempotency-key": "shared" });
    expect(a.body.id).not.toBe(b.body.id);
  });

  it("without a key, a repeat is a duplicate (409 Conflict)", async () => {
    expect((await call("POST", url, template(6))).status).toBe(201);
    expect((await call("POST", url, template(6))).body.error.code).toBe("Conflict");
  });
});
