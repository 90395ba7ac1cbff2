import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { startPostgres, type PostgresServer } from "../../helpers/postgres";
import { Receiver } from "../webhooks/receiver";

const PASSWORD = "pw-visible-in-ps-9f3a";
const template = (i: number) => ({ appName: "live", streamName: "show", destinationUrl: `rtmp://dest.example.com/app/key-${i}`, mode: "always" });
const withPassword = (url: string) => url.replace("postgres://postgres@", `postgres://postgres:${PASSWORD}@`); // trust auth ignores it

describe("the service on PostgreSQL (--store postgres://…)", () => {
  let pg: PostgresServer;
  let url: string;
  let nodes: ServiceHandle[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    // Two nodes on one database: one given the URL on the command line (with a password), one through the environment.
    nodes = await Promise.all([startService({ args: ["--store", withPassword(url)] }), startService({ env: { LIVERELAY_STORE: url } })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await pg?.stop();
  });

  it("serves template CRUD from the shared store: a write on one node reads back on the other", async () => {
    const [one, two] = nodes.map((n) => apiClient(n));
    const created = await one("POST", "/v1/domains/crud.example.com/relay-templates", template(1));
    expect(created.status).toBe(201);
    const read = await two("GET", `/v1/domains/crud.example.com/relay-templates/${created.body.id}`);
    expect(read.body).toEqual(created.body);
    const patched = await two("PATCH", `/v1/domains/crud.example.com/relay-templates/${created.body.id}`, { description: "from node two" });
    expect(patched.status).toBe(200);
    expect((await one("GET", `/v1/domains/crud.example.com/relay-templates/${created.body.id}`)).body.description).toBe("from node two");
    expect((await two("DELETE", `/v1/domains/crud.example.com/relay-templates/${created.body.id}`)).status).toBe(204);
    expect((await one("GET", `/v1/domains/crud.example.com/relay-templates/${created.body.id}`)).status).toBe(404);
  });

  it("holds the quota exactly: 230 concurrent creates over both nodes → 200 created, 30 QuotaExceeded", async () => {
    const calls = nodes.map((n) => apiClient(n));
    const results = await Promise.all(Array.from({ length: 230 }, (_, i) => calls[i % 2]("POST", "/v1/domains/race.example.com/relay-templates", template(i))));
    const byStatus = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ 201: 200, 409: 30 });
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === "QuotaExceeded")).toBe(true);
    expect((await calls[1]("GET", "/v1/domains/race.example.com/quota")).body).toEqual({ destinationUrls: { used: 200, limit: 200 } });
  }, 60_000);

  it("creates one template when the same Idempotency-Key reaches both nodes at once", async () => {
    const calls = nodes.map((n) => apiClient(n));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => calls[i % 2]("POST", "/v1/domains/idem.example.com/relay-templates", template(1), { "idempotency-key": "same" })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await calls[0]("GET", "/v1/domains/idem.example.com/relay-templates")).body.items).toHaveLength(1);
  });

  it("is not ready and answers 503 StoreUnavailable while the database is down, and recovers by itself", async () => {
    const node = nodes[0];
    const call = apiClient(node);
    const ready = async () => (await fetch(`${node.url}/readyz`)).status;
    expect(await ready()).toBe(200);
    const restart = pg.restart({ downMs: 3_000 });
    await until(async () => (await ready()) === 503);
    const during = await call("GET", "/v1/domains/crud.example.com/relay-templates");
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe("StoreUnavailable");
    const metrics = await call("GET", "/metrics"); // answers from what the node has, store or not
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain("liverelay_events_outbox_backlog");
    await restart;
    // Each node serves again once its own health check has seen the database (within a second).
    for (const n of nodes) await until(async () => (await fetch(`${n.url}/readyz`)).status === 200);
    expect((await call("POST", "/v1/domains/after.example.com/relay-templates", template(1))).status).toBe(201);
    expect((await apiClient(nodes[1])("GET", "/v1/domains/after.example.com/relay-templates")).body.items).toHaveLength(1);
  }, 60_000);

  it("never shows the password; warns when it was given on the command line", () => {
    const all = nodes.flatMap((n) => n.output).join("\n");
    expect(all).not.toContain(PASSWORD);
    const warning = nodes[0].logs().find((l) => String(l.msg).includes("holds a password"));
    expect(warning).toBeDefined();
    expect(nodes[1].logs().some((l) => String(l.msg).includes("holds a password"))).toBe(false);
  });
});

describe("webhooks with two nodes on one PostgreSQL", () => {
  let pg: PostgresServer;
  const nodes: ServiceHandle[] = [];
  let secret = "";
  const receiver = new Receiver(() => secret);
  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase();
    const args = ["--store", url, "--allow-private-webhooks"];
    nodes.push(await startService({ args }));
    const put = await apiClient(nodes[0])("PUT", "/v1/domains/hooks.example.com/webhooks/ops", { url: await receiver.listen(), events: ["relay_template.created"] });
    secret = put.body.secret;
    nodes.push(await startService({ args })); // loads the webhook at start: both nodes run a worker for it
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver.close();
    await pg?.stop();
  });

  it("delivers each event once, although both nodes' workers race for it", async () => {
    const calls = nodes.map((n) => apiClient(n));
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => calls[i % 2]("POST", "/v1/domains/hooks.example.com/relay-templates", template(i))));
    expect(created.every((r) => r.status === 201)).toBe(true);
    await until(async () => receiver.ofType("relay_template.created").length === 12);
    await new Promise((r) => setTimeout(r, 2_500)); // time for a second attempt, were one coming
    expect(receiver.deliveries).toBe(12);
    expect(receiver.events.map((e) => e.id)).toEqual([...receiver.events.map((e) => e.id)].sort()); // in order
  }, 60_000);
});

async function until(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
