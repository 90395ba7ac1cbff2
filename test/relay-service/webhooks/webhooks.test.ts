import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { freePort, publishRtmp, waitFor } from "../../helpers/relay";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Receiver } from "./receiver";

const DOMAIN = "hooks.example.com";
const OTHER = "other.example.com";
const ALLOW = ["--allow-private-webhooks"];

const template = (streamName: string, destinationUrl = `rtmp://198.51.100.7/live/key-${streamName}`) => ({ appName: "live", streamName, destinationUrl, mode: "always" });

describe("webhooks without --allow-private-webhooks", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it("refuses loopback and private URLs with a 400 naming the url", async () => {
    const call = apiClient(svc);
    for (const url of ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook", "https://10.1.2.3/hook", "http://[::ffff:127.0.0.1]/x", "http://169.254.169.254/latest"]) {
      const res = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/local`, { url, events: ["*"] });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toMatchObject({ code: "BadRequest", field: "url" });
      expect(res.body.error.message).toMatch(/loopback or private address \(allowed only with --allow-private-webhooks\)/);
    }
    expect((await call("GET", `/v1/domains/${DOMAIN}/webhooks`)).body.items).toEqual([]);
  });
});

describe("webhooks to a real receiver on loopback", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let secret = "";
  const receiver = new Receiver(() => secret);
  let hookUrl: string;

  beforeAll(async () => {
    svc = await startService({ args: ALLOW });
    call = apiClient(svc);
    hookUrl = await receiver.listen();
  });
  afterAll(async () => {
    await receiver.close();
    await svc?.stop();
  });

  it("creates a webhook, shows its generated secret once and never again", async () => {
    const res = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/ops`, { url: hookUrl, events: ["*"], description: "ops" });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    secret = res.body.secret;
    const again = await call("GET", `/v1/domains/${DOMAIN}/webhooks/ops`);
    expect(again.body).toMatchObject({ id: "ops", url: hookUrl, events: ["*"], enabled: true });
    expect(JSON.stringify(again.body)).not.toContain(secret);
    const listed = await call("GET", `/v1/domains/${DOMAIN}/webhooks`);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    // A replace without a secret keeps the secret (and does not show it).
    const replaced = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/ops`, { url: hookUrl, events: ["*"], description: "ops team" });
    expect(replaced.status).toBe(200);
    expect(replaced.body.secret).toBeUndefined();
    expect(svc.output.join("\n")).not.toContain(secret);
    expect(svc.output.join("\n")).not.toContain("receiver-token");
  });

  it("rejects bad input with clear errors", async () => {
    const bad = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/x`, { url: "ftp://example.com/x", events: ["*"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("url");
    const badType = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/x`, { url: hookUrl, events: ["stream.exploded"] });
    expect(badType.status).toBe(400);
    expect(badType.body.error.field).toMatch(/^events/);
    expect((await call("GET", `/v1/domains/${DOMAIN}/webhooks/nope`)).status).toBe(404);
  });

  it("publish → stream.started arrives, signed with the webhook's secret", async () => {
    const publisher = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/show?vhost=${DOMAIN}`, { seconds: 3 });
    const started = await waitFor("stream.started", () => receiver.ofType("stream.started")[0], 30_000);
    expect(started).toMatchObject({ domain: DOMAIN, data: { appName: "live", streamName: "show", protocol: "rtmp" } });
    expect(started.id).toMatch(/^evt_\d{12}$/);
    await publisher.exited;
    const ended = await waitFor("stream.ended", () => receiver.ofType("stream.ended")[0], 30_000);
    expect(ended.data.durationSeconds).toBeGreaterThan(0);
    expect(receiver.rejected).toEqual([]);
  });

  it("a destination that refuses → relay.state_changed to retrying, with the error and no stream key", async () => {
    const closedPort = await freePort();
    const created = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, template("refused", `rtmp://127.0.0.1:${closedPort}/app/SECRETKEY`));
    expect(created.status).toBe(201);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/refused?vhost=${DOMAIN}`, { seconds: 8 });
    const retrying = await waitFor("relay.state_changed → retrying", () => receiver.ofType("relay.state_changed").find((e) => e.data.to === "retrying"), 40_000);
    expect(retrying.data).toMatchObject({ templateId: created.body.id, appName: "live", streamName: "refused" });
    expect(retrying.data.lastError?.code).toBe("ConnectionRefused");
    const created_ = receiver.ofType("relay_template.created").find((e) => e.data.templateId === created.body.id);
    expect(created_?.data.destination).toBe(`rtmp://127.0.0.1:${closedPort}/app/***`);
    expect(JSON.stringify(receiver.events)).not.toContain("SECRETKEY");
    await publisher.kill();
  });

  it("shows deliveries with status code and latency, and replays one on request", async () => {
    const list = await call("GET", `/v1/domains/${DOMAIN}/webhooks/ops/deliveries`);
    expect(list.status).toBe(200);
    const done = list.body.items.find((d: any) => d.status === "succeeded");
    expect(done.recentAttempts.at(-1)).toMatchObject({ statusCode: 200, error: null });
    expect(done.recentAttempts.at(-1).latencyMs).toBeGreaterThanOrEqual(0);
    const before = receiver.deliveries;
    const retried = await call("POST", `/v1/domains/${DOMAIN}/webhooks/ops/deliveries/${done.id}/retry`);
    expect(retried.status).toBe(202);
    await waitFor("replayed delivery", () => receiver.deliveries > before);
    const after = await waitFor("second attempt recorded", async () => {
      const d = (await call("GET", `/v1/domains/${DOMAIN}/webhooks/ops/deliveries`)).body.items.find((x: any) => x.id === done.id);
      return d.attempts === done.attempts + 1 && d;
    });
    expect(after.status).toBe("succeeded");
    expect((await call("POST", `/v1/domains/${DOMAIN}/webhooks/ops/deliveries/dlv_nope/retry`)).status).toBe(404);
  });

  it("filters by event type; a deleted webhook gets nothing more", async () => {
    const other = new Receiver(() => otherSecret);
    let otherSecret = "";
    const url = await other.listen();
    const res = await call("PUT", `/v1/domains/${DOMAIN}/webhooks/templates-only`, { url, events: ["relay_template.deleted"] });
    otherSecret = res.body.secret;
    const t = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, template("filtered"));
    await call("DELETE", `/v1/domains/${DOMAIN}/relay-templates/${t.body.id}`);
    await waitFor("relay_template.deleted", () => other.ofType("relay_template.deleted")[0]);
    expect(other.events.map((e) => e.type)).toEqual(["relay_template.deleted"]);
    expect((await call("DELETE", `/v1/domains/${DOMAIN}/webhooks/templates-only`)).status).toBe(204);
    await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, template("after-delete"));
    await waitFor("ops got it", () => receiver.ofType("relay_template.created").some((e) => e.data.streamName === "after-delete"));
    expect(other.deliveries).toBe(1);
    await other.close();
  });

  it("receivers of one domain that never answer delay neither another domain's deliveries nor the API", async () => {
    // Six webhooks of another domain, more than its share of delivery slots, all pointing at a receiver that holds every request.
    const held: http.ServerResponse[] = [];
    const slow = http.createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
    for (let i = 0; i < 6; i++) expect((await call("PUT", `/v1/domains/${OTHER}/webhooks/slow-${i}`, { url: slowUrl, events: ["*"] })).status).toBe(201);
    await call("POST", `/v1/domains/${OTHER}/relay-templates`, template("slow"));
    await waitFor("the slow receiver holding requests", () => held.length >= 4);

    await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, template("not-delayed"));
    await waitFor("this domain's event", () => receiver.ofType("relay_template.created").some((e) => e.data.streamName === "not-delayed"));
    expect(held.every((res) => !res.writableEnded)).toBe(true); // arrived while the other domain's requests were still held
    expect((await call("GET", `/v1/domains/${DOMAIN}/webhooks`)).status).toBe(200);
    for (let i = 0; i < 6; i++) await call("DELETE", `/v1/domains/${OTHER}/webhooks/slow-${i}`);
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });
});

describe("webhook deliveries survive a receiver outage and a service restart", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let secret = "";
  const receiver = new Receiver(() => secret);

  afterAll(async () => {
    await receiver.close();
    await svc?.stop();
  });

  it("delivers every event, in order per domain, once the receiver is back", async () => {
    svc = await startService({ args: ALLOW });
    call = apiClient(svc);
    const url = await receiver.listen();
    const port = receiver.port;
    for (const domain of [DOMAIN, OTHER]) {
      const res = await call("PUT", `/v1/domains/${domain}/webhooks/ops`, { url, events: ["relay_template.created", "relay_template.deleted"] });
      if (domain === DOMAIN) secret = res.body.secret;
      else await call("PUT", `/v1/domains/${domain}/webhooks/ops`, { url, events: ["relay_template.created", "relay_template.deleted"], secret });
    }
    await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, template("before-outage"));
    await waitFor("first delivery", () => receiver.events.length === 1);

    // The receiver goes away: events pile up, attempts fail and are retried.
    await receiver.close();
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      for (const domain of [DOMAIN, OTHER]) {
        const t = await call("POST", `/v1/domains/${domain}/relay-templates`, template(`outage-${i}`));
        expect(t.status).toBe(201);
        if (i % 2 === 1) expect((await call("DELETE", `/v1/domains/${domain}/relay-templates/${t.body.id}`)).status).toBe(204);
      }
      names.push(`outage-${i}`);
    }
    const failing = await waitFor("a failed attempt recorded", async () => {
      const items = (await call("GET", `/v1/domains/${DOMAIN}/webhooks/ops/deliveries`)).body.items;
      return items.find((d: any) => d.status === "pending" && d.attempts > 0);
    });
    expect(failing.recentAttempts[0]).toMatchObject({ statusCode: null });
    expect(failing.recentAttempts[0].error).toMatch(/ECONNREFUSED|ECONNRESET/);
    const during = await metrics();
    expect(during.get("liverelay_events_outbox_backlog")).toBeGreaterThan(0);
    expect(during.get("liverelay_events_oldest_undelivered_seconds")).toBeGreaterThan(0);
    expect(during.get('liverelay_webhook_attempts_total{outcome="network_error"}')).toBeGreaterThan(0);

    // The service restarts meanwhile; more events arrive while the receiver is still down.
    const { code } = await svc.stop();
    expect(code).toBe(0);
    svc = await startService({ args: ALLOW, dataDir: svc.dataDir });
    call = apiClient(svc);
    for (const domain of [DOMAIN, OTHER]) await call("POST", `/v1/domains/${domain}/relay-templates`, template("after-restart"));

    // Back on the same port: everything arrives, each domain in the order it happened.
    await receiver.listen(port);
    const expectedPerDomain = 1 + 4 + 2 + 1; // before-outage (DOMAIN only) … counted below
    await waitFor(
      "every event delivered",
      () => receiver.events.filter((e) => e.domain === OTHER).length === expectedPerDomain - 1 && receiver.events.filter((e) => e.domain === DOMAIN).length === expectedPerDomain,
      90_000,
      250,
    );
    for (const domain of [DOMAIN, OTHER]) {
      const got = receiver.events.filter((e) => e.domain === domain);
      const ids = got.map((e) => e.id);
      expect(ids, domain).toEqual([...ids].sort());
      expect(got.map((e) => `${e.type}:${(e.data as { streamName: string }).streamName}`)).toEqual([
        ...(domain === DOMAIN ? ["relay_template.created:before-outage"] : []),
        "relay_template.created:outage-0",
        "relay_template.created:outage-1",
        "relay_template.deleted:outage-1",
        "relay_template.created:outage-2",
        "relay_template.created:outage-3",
        "relay_template.deleted:outage-3",
        "relay_template.created:after-restart",
      ]);
    }
    expect(receiver.rejected).toEqual([]);
    const after = await waitFor("the backlog drained", async () => {
      const m = await metrics();
      return m.get("liverelay_events_outbox_backlog") === 0 && m;
    });
    expect(after.get("liverelay_events_oldest_undelivered_seconds")).toBe(0);
    // Counters start again with the process: the 14 events delivered after the restart.
    expect(after.get('liverelay_webhook_deliveries_total{outcome="delivered"}')).toBe(14);
  });

  /** /metrics as name{labels} → value. */
  async function metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${svc.token}` } })).text();
    const out = new Map<string, number>();
    for (const line of text.split("\n")) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) out.set(m[1], Number(m[2]));
    }
    return out;
  }
});
