import nock from "nock";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { ConnectionError, RateLimitError, ServerError, TimeoutError, createClient } from "../../sdk/src";
import { parseRetryAfter, retryDelayMs } from "../../sdk/src/retry";
import { api, BASE, caught, closedPort, DEST, DOMAIN, errorBody, template, TEMPLATES, testClient, TOKEN } from "./support";

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

const input = { appName: "live", streamName: "keynote", destinationUrl: DEST, mode: "always" as const };
const ingestAuth = { domain: DOMAIN, enabled: true, srtPassphraseSet: false, updatedAt: "2026-11-01T09:00:00Z" };
const unavailable = errorBody("Internal", "try again");

/** Every SDK method, by HTTP method: how to mock it and how to call it. */
const calls = {
  GET: { mock: () => api().get(`${TEMPLATES}/rt_abc`), ok: [200, template()], call: (c: ReturnType<typeof createClient>) => c.relayTemplates.get(DOMAIN, "rt_abc") },
  PUT: {
    mock: () => api().put(`/v1/domains/${DOMAIN}/ingest-auth`),
    ok: [200, ingestAuth],
    call: (c: ReturnType<typeof createClient>) => c.ingestAuth.set(DOMAIN, { key: "0123456789abcdef" }),
  },
  PATCH: {
    mock: () => api().patch(`${TEMPLATES}/rt_abc`),
    ok: [200, template()],
    call: (c: ReturnType<typeof createClient>) => c.relayTemplates.update(DOMAIN, "rt_abc", { description: "x" }),
  },
  DELETE: { mock: () => api().delete(`${TEMPLATES}/rt_abc`), ok: [204], call: (c: ReturnType<typeof createClient>) => c.relayTemplates.delete(DOMAIN, "rt_abc") },
  POST: { mock: () => api().post(TEMPLATES), ok: [201, template()], call: (c: ReturnType<typeof createClient>) => c.relayTemplates.create(DOMAIN, input) },
} as const;

describe("retries", () => {
  it.each(Object.keys(calls) as (keyof typeof calls)[])("%s: retried on 503 up to maxRetries (3 → 4 attempts), then ServerError", async (method) => {
    const scope = calls[method].mock().times(4).reply(503, unavailable);
    const { client, sleeps } = testClient();
    const err = await caught(() => calls[method].call(client));
    expect(err).toBeInstanceOf(ServerError);
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toHaveLength(3);
  });

  it.each(Object.keys(calls) as (keyof typeof calls)[])("%s: succeeds after a 500, a 429 and a connection reset", async (method) => {
    const { mock, ok } = calls[method];
    mock().reply(500, unavailable);
    mock().reply(429, errorBody("RateLimited", "slow down"));
    mock().replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const done = mock().reply(ok[0], ok[1]);
    const { client, sleeps } = testClient();
    await calls[method].call(client);
    expect(done.isDone()).toBe(true);
    expect(sleeps).toHaveLength(3);
  });

  it.each([400, 401, 404, 409, 413])("a %i is never retried", async (status) => {
    const scope = api().get(`${TEMPLATES}/rt_abc`).reply(status, errorBody("X", "no"));
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient();
    await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"));
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("maxRetries: 0 makes one attempt", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(503, unavailable);
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient({ maxRetries: 0 });
    expect(await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"))).toBeInstanceOf(ServerError);
    expect(nock.pendingMocks()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("a per-call maxRetries overrides the client's", async () => {
    const scope = api().get(`${TEMPLATES}/rt_abc`).times(2).reply(503, unavailable);
    const { client } = testClient({ maxRetries: 5 });
    await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc", { maxRetries: 1 }));
    expect(scope.isDone()).toBe(true);
  });

  it("connection refused is retried, then ConnectionError", async () => {
    const port = await closedPort();
    const { client, sleeps } = testClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 });
    expect(await caught(() => client.quota.get(DOMAIN))).toBeInstanceOf(ConnectionError);
    expect(sleeps).toHaveLength(2);
  });

  it("timeoutMs is the deadline of the whole call: a slow attempt ends it with TimeoutError, no retry", async () => {
    for (let i = 0; i < 2; i++) api().get(`/v1/domains/${DOMAIN}/quota`).delay(1_000).reply(200, { destinationUrls: { used: 0, limit: 1 } });
    const { client, sleeps } = testClient({ timeoutMs: 50, maxRetries: 1 });
    expect(await caught(() => client.quota.get(DOMAIN))).toBeInstanceOf(TimeoutError);
    expect(nock.pendingMocks()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("the deadline spans the attempts: a later one gets only what is left, and none follows it", async () => {
    api().get(`/v1/domains/${DOMAIN}/quota`).reply(503, unavailable);
    api().get(`/v1/domains/${DOMAIN}/quota`).delay(3_000).reply(200, { destinationUrls: { used: 0, limit: 1 } });
    // With a timeout per attempt, this third attempt would run and succeed.
    api().get(`/v1/domains/${DOMAIN}/quota`).reply(200, { destinationUrls: { used: 0, limit: 1 } });
    const { client, sleeps } = testClient({ timeoutMs: 400, maxRetries: 3 });
    const err = await caught(() => client.quota.get(DOMAIN));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeoutMs: 400 });
    expect(sleeps).toHaveLength(1);
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  it("a backoff that would pass the deadline is not waited: the last error is thrown at once", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "120" });
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient({ timeoutMs: 30_000 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ retryAfterMs: 120_000 });
    expect(sleeps).toEqual([]);
    expect(nock.pendingMocks()).toHaveLength(1);
  });
});

describe("POST and the idempotency key", () => {
  it("without a key (idempotencyKey: false) a POST is sent once and none is sent", async () => {
    let headers: Record<string, unknown> = {};
    api()
      .post(TEMPLATES)
      .reply(function () {
        headers = this.req.headers;
        return [503, unavailable];
      });
    api().post(TEMPLATES).reply(201, template());
    const { client, sleeps } = testClient();
    expect(await caught(() => client.relayTemplates.create(DOMAIN, input, { idempotencyKey: false }))).toBeInstanceOf(ServerError);
    expect(headers["idempotency-key"]).toBeUndefined();
    expect(nock.pendingMocks()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("without a key a connection failure of a POST is not retried either", async () => {
    api().post(TEMPLATES).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    api().post(TEMPLATES).reply(201, template());
    const { client } = testClient();
    expect(await caught(() => client.relayTemplates.create(DOMAIN, input, { idempotencyKey: false }))).toBeInstanceOf(ConnectionError);
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  it("by default a random UUID key is sent, the same on every attempt, and a new one per create", async () => {
    const keys: unknown[] = [];
    const record = function (this: { req: { headers: Record<string, unknown> } }) {
      keys.push(this.req.headers["idempotency-key"]);
    };
    api()
      .post(TEMPLATES)
      .times(2)
      .reply(function () {
        record.call(this);
        return [503, unavailable];
      });
    api()
      .post(TEMPLATES)
      .times(2)
      .reply(function () {
        record.call(this);
        return [201, template()];
      });
    const { client } = testClient();
    await client.relayTemplates.create(DOMAIN, input);
    await client.relayTemplates.create(DOMAIN, input);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
    expect(keys[3]).not.toBe(keys[0]);
  });

  it("a given key is sent as is and reused across attempts", async () => {
    const scope = api()
      .post(TEMPLATES)
      .matchHeader("idempotency-key", "deploy-42/keynote")
      .reply(503, unavailable)
      .post(TEMPLATES)
      .matchHeader("idempotency-key", "deploy-42/keynote")
      .reply(201, template());
    const { client } = testClient();
    await client.relayTemplates.create(DOMAIN, input, { idempotencyKey: "deploy-42/keynote" });
    expect(scope.isDone()).toBe(true);
  });
});

describe("backoff and Retry-After", () => {
  it("Retry-After in seconds is honoured", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "3" });
    api().get(`${TEMPLATES}/rt_abc`).reply(503, unavailable, { "retry-after": "0" });
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient();
    await client.relayTemplates.get(DOMAIN, "rt_abc");
    expect(sleeps).toEqual([3000, 0]);
  });

  it("Retry-After as an HTTP date is honoured, and capped at maxRetryAfterMs", async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    api().get(`${TEMPLATES}/rt_abc`).reply(503, unavailable, { "retry-after": inTenSeconds });
    api().get(`${TEMPLATES}/rt_abc`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "3600" });
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient({ timeoutMs: 120_000 });
    await client.relayTemplates.get(DOMAIN, "rt_abc");
    expect(sleeps[0]).toBeGreaterThan(8_000);
    expect(sleeps[0]).toBeLessThanOrEqual(10_000);
    expect(sleeps[1]).toBe(60_000);
  });

  it("the real wait respects Retry-After (1 s)", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "1" });
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const client = createClient({ baseUrl: BASE, token: TOKEN, retryBaseDelayMs: 1 });
    const started = Date.now();
    await client.relayTemplates.get(DOMAIN, "rt_abc");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("without Retry-After: full jitter under a doubling ceiling (base 250 ms, cap 8 s)", async () => {
    api().get(`${TEMPLATES}/rt_abc`).times(8).reply(503, unavailable);
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    const { client, sleeps } = testClient({ maxRetries: 8 });
    await client.relayTemplates.get(DOMAIN, "rt_abc");
    expect(sleeps).toHaveLength(8);
    sleeps.forEach((ms, attempt) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(8_000, 250 * 2 ** attempt));
    });
  });

  it("retryDelayMs: the ceilings, and RateLimitError keeps retryAfterMs after the last attempt", async () => {
    const o = { baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000, random: () => 0.999999 };
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, undefined, o))).toEqual([249, 499, 999, 1999, 3999, 7999, 7999]);
    expect(retryDelayMs(0, 120_000, o)).toBe(60_000);
    expect(parseRetryAfter("2.5")).toBe(2500);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(new Date(0).toUTCString())).toBe(0);

    api().get(`${TEMPLATES}/rt_abc`).times(2).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "2" });
    const { client, sleeps } = testClient({ maxRetries: 1 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(2000);
    expect(sleeps).toEqual([2000]);
  });

  it("retryBaseDelayMs makes real backoff short", async () => {
    api().get(`${TEMPLATES}/rt_abc`).times(3).reply(500, unavailable);
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template());
    // The waits are asked for, then really waited (no wall-clock bound: the machine may be busy).
    const waits: number[] = [];
    const sleep = (ms: number) => (waits.push(ms), new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const client = createClient({ baseUrl: BASE, token: TOKEN, retryBaseDelayMs: 1, sleep });
    await client.relayTemplates.get(DOMAIN, "rt_abc");
    expect(waits).toHaveLength(3);
    waits.forEach((ms, attempt) => expect(ms).toBeLessThan(2 ** attempt));
  });
});
