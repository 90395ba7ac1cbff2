import nock from "nock";
import { describe, expect, it } from "vitest";
import { createClient, LiveRelayAbortError, LiveRelayError } from "../../sdk/src";
import { api, BASE, caught, DOMAIN, errorBody, expectNoSecrets, template, TEMPLATES, testClient, TOKEN, useNock } from "./support";

// The last argument of every method: { signal, timeoutMs, maxRetries, headers, idempotencyKey }.

useNock();

const unavailable = errorBody("Internal", "try later");
const status = { templateId: "rt_abc", state: "waiting", restarts: 0, since: "2026-11-01T09:00:00Z", bitrateKbps: 0, fps: 0, bytesOut: 0 };

describe("signal", () => {
  it("an already-aborted signal is refused before anything is sent", async () => {
    const scope = api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { signal: AbortSignal.abort() }));
    expect(err).toBeInstanceOf(LiveRelayAbortError);
    expect(err).toBeInstanceOf(LiveRelayError);
    expect(err.name).toBe("LiveRelayAbortError");
    expect(scope.isDone()).toBe(false);
  });

  it("aborting while the request is in flight ends it with LiveRelayAbortError, not retried", async () => {
    api().get(`${TEMPLATES}/rt_abc`).delay(5_000).reply(200, template());
    const retry = api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient();
    const controller = new AbortController();
    const call = caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const err = await call;
    expect(err).toBeInstanceOf(LiveRelayAbortError);
    expect(err.message).toBe(`GET ${TEMPLATES}/rt_abc: aborted by the caller's signal`);
    expectNoSecrets(err);
    expect(sleeps).toEqual([]);
    expect(retry.isDone()).toBe(false);
  });

  it("aborting during the backoff before a retry ends the wait at once", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(503, unavailable);
    const retry = api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const controller = new AbortController();
    const sleeps: number[] = [];
    // A sleep that never ends by itself: only the abort can end the wait.
    const client = createClient({ baseUrl: BASE, token: TOKEN, sleep: (ms) => (sleeps.push(ms), new Promise<void>(() => {})) });
    const call = caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { signal: controller.signal }));
    while (sleeps.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await call).toBeInstanceOf(LiveRelayAbortError);
    expect(retry.isDone()).toBe(false);
  });

  it("the default sleep frees its timer on abort (nothing keeps the process alive)", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "20" });
    const client = createClient({ baseUrl: BASE, token: TOKEN });
    const controller = new AbortController();
    const before = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const call = caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { signal: controller.signal }));
    while (nock.pendingMocks().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await call).toBeInstanceOf(LiveRelayAbortError);
    expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBe(before);
  });

  it("waitForState: the signal ends the wait between polls", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).times(20).reply(200, status);
    const controller = new AbortController();
    const client = createClient({ baseUrl: BASE, token: TOKEN });
    const call = caught(() => client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { deadlineMs: 60_000, pollIntervalMs: 10_000, signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    expect(await call).toBeInstanceOf(LiveRelayAbortError);
  });
});

describe("waitForState options", () => {
  it("timeoutMs and headers apply to each poll; deadlineMs to the whole wait", async () => {
    let seen: unknown;
    api()
      .get(`${TEMPLATES}/rt_abc/status`)
      .reply(function () {
        seen = this.req.headers["x-trace"];
        return [200, { ...status, state: "relaying" }];
      });
    const { client } = testClient();
    const reached = await client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { deadlineMs: 1_000, timeoutMs: 500, headers: { "x-trace": "t1" } });
    expect(reached.state).toBe("relaying");
    expect(seen).toBe("t1");
  });

  it("without deadlineMs (the 0.1 `timeoutMs` deadline) it refuses to start, naming the option", async () => {
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { timeoutMs: 1_000 } as never));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(/deadlineMs/);
  });
});

describe("headers and idempotencyKey", () => {
  it("defaultHeaders on every request, a call's headers over them; authorization stays the token", async () => {
    let headers: Record<string, unknown> = {};
    api()
      .get(`${TEMPLATES}/rt_abc`)
      .reply(function () {
        headers = this.req.headers;
        return [200, template()];
      });
    const { client } = testClient({ defaultHeaders: { "X-Tenant": "a", "x-team": "media" } });
    await client.relayTemplates.get(DOMAIN, "rt_abc", { headers: { "x-tenant": "b", Authorization: "Bearer other" } });
    expect(headers["x-tenant"]).toBe("b");
    expect(headers["x-team"]).toBe("media");
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("defaultHeaders may not carry authorization, and values must be strings", () => {
    expect(() => createClient({ baseUrl: BASE, token: TOKEN, defaultHeaders: { Authorization: "Bearer x" } })).toThrow(/authorization/);
    expect(() => createClient({ baseUrl: BASE, token: TOKEN, defaultHeaders: { "x-n": 1 as unknown as string } })).toThrow(/x-n must be a string/);
  });

  it("idempotencyKey is sent on any method (here PUT), the same on every retry", async () => {
    const keys: unknown[] = [];
    const put = `/v1/domains/${DOMAIN}/apps/live/snapshot-config`;
    api()
      .put(put)
      .times(2)
      .reply(function () {
        keys.push(this.req.headers["idempotency-key"]);
        return keys.length === 1 ? [503, unavailable] : [200, { domain: DOMAIN, appName: "live", intervalSeconds: 10, keep: 1, updatedAt: "2026-11-01T09:00:00Z" }];
      });
    const { client } = testClient();
    await client.snapshotConfig.set(DOMAIN, "live", { intervalSeconds: 10 }, { idempotencyKey: "k-1" });
    expect(keys).toEqual(["k-1", "k-1"]);
  });

  it("maxRetries: 0 on one call turns retries off for it", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(503, unavailable);
    const retry = api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient();
    await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { maxRetries: 0 }));
    expect(sleeps).toEqual([]);
    expect(retry.isDone()).toBe(false);
  });
});
