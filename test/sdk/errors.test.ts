import nock from "nock";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  LiveRelayError,
  NotFoundError,
  QuotaExceededError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
} from "../../sdk/src";
import { api, caught, closedPort, DEST, DOMAIN, errorBody, expectNoSecrets, STREAM_KEY, template, TEMPLATES, testClient, TOKEN } from "./support";

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

const create = { appName: "live", streamName: "keynote", destinationUrl: DEST, mode: "always" as const };

describe("error mapping", () => {
  it.each([
    [400, "BadRequest", "endTime: must be an RFC 3339 UTC timestamp", "endTime", BadRequestError],
    [400, "ImmutableField", "streamName cannot be changed", "streamName", BadRequestError],
    [401, "Unauthorized", "missing or invalid bearer token", undefined, AuthenticationError],
    [404, "NotFound", "relay template rt_x does not exist in this domain", undefined, NotFoundError],
    [409, "Conflict", "a relay template for this stream and destination already exists", "destinationUrl", ConflictError],
    [409, "QuotaExceeded", "domain already has 2 of 2 destination URLs", undefined, QuotaExceededError],
    [429, "RateLimited", "slow down", undefined, RateLimitError],
    [500, "Internal", "internal error", undefined, ServerError],
    [503, "Unavailable", "shutting down", undefined, ServerError],
    [413, "PayloadTooLarge", "request body exceeds 65536 bytes", undefined, ApiError],
    [415, "UnsupportedMediaType", "request body must be JSON", undefined, ApiError],
  ] as const)("%i %s → %s", async (status, code, message, field, Class) => {
    api().get(`${TEMPLATES}/rt_x`).reply(status, errorBody(code, message, field, "req_abc"), { "x-request-id": "req_abc" });
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(LiveRelayError);
    expect(err).toBeInstanceOf(Error);
    const apiErr = err as ApiError;
    expect(apiErr.name).toBe(Class.name);
    expect(apiErr).toMatchObject({ status, code, requestId: "req_abc", field });
    expect(apiErr.message).toBe(`${status} ${code}: ${message} (request req_abc)`);
    expect(String(err)).toBe(`${Class.name}: ${status} ${code}: ${message} (request req_abc)`);
    expect(apiErr.body).toEqual(errorBody(code, message, field, "req_abc"));
    expectNoSecrets(err);
  });

  it("409 Conflict is a ConflictError but not a QuotaExceededError; QuotaExceeded is both", async () => {
    api().post(TEMPLATES).reply(409, errorBody("Conflict", "duplicate", "destinationUrl"));
    api().post(TEMPLATES).reply(409, errorBody("QuotaExceeded", "full"));
    const { client } = testClient();
    const conflict = await caught(() => client.relayTemplates.create(DOMAIN, create));
    const quota = await caught(() => client.relayTemplates.create(DOMAIN, create));
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict).not.toBeInstanceOf(QuotaExceededError);
    expect(quota).toBeInstanceOf(QuotaExceededError);
    expect(quota).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).field).toBe("destinationUrl");
  });

  it("ImmutableField keeps the field at fault", async () => {
    api().patch(`${TEMPLATES}/rt_x`).reply(400, errorBody("ImmutableField", "destinationUrl cannot be changed", "destinationUrl"));
    const { client } = testClient();
    // @ts-expect-error identity fields are not part of the patch type
    const err = await caught(() => client.relayTemplates.update(DOMAIN, "rt_x", { destinationUrl: DEST }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: "ImmutableField", field: "destinationUrl" });
  });

  it("a body that is not the API's error shape → ApiError with code HttpError and the x-request-id header", async () => {
    api().get(`${TEMPLATES}/rt_x`).reply(502, "<html>Bad Gateway</html>", { "x-request-id": "req_proxy" });
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 502, code: "HttpError", requestId: "req_proxy", body: "<html>Bad Gateway</html>" });
    expect(err.message).toBe("502 HttpError: HTTP 502 (request req_proxy)");
  });

  it("a 3xx is not followed: ApiError", async () => {
    api().get(`${TEMPLATES}/rt_x`).reply(302, "", { location: "http://elsewhere.test/" });
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(err.constructor).toBe(ApiError);
    expect(err).toMatchObject({ status: 302 });
  });

  it("429 keeps Retry-After as retryAfterMs", async () => {
    api().get(`${TEMPLATES}/rt_x`).reply(429, errorBody("RateLimited", "slow down"), { "retry-after": "7" });
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(7000);
  });

  it("connection refused → ConnectionError (not an ApiError) with the system code", async () => {
    const port = await closedPort();
    const { client } = testClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    const err = await caught(() => client.quota.get(DOMAIN));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toBeInstanceOf(LiveRelayError);
    expect(err).not.toBeInstanceOf(ApiError);
    expect((err as ConnectionError).code).toBe("ECONNREFUSED");
    expect(err.message).toMatch(/^GET \/v1\/domains\/shows\.example\.com\/quota failed: .*ECONNREFUSED/);
    expectNoSecrets(err);
  });

  it("no response within timeoutMs → TimeoutError (not an ApiError)", async () => {
    api().get(`/v1/domains/${DOMAIN}/quota`).delay(2_000).reply(200, { destinationUrls: { used: 0, limit: 2 } });
    const { client } = testClient({ timeoutMs: 100, maxRetries: 0 });
    const started = Date.now();
    const err = await caught(() => client.quota.get(DOMAIN));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ timeoutMs: 100, message: `GET /v1/domains/${DOMAIN}/quota: no response within 100 ms` });
  });
});

describe("ResponseValidationError", () => {
  it("names the path of the mismatch", async () => {
    api()
      .get(TEMPLATES)
      .reply(200, { items: [template(), template({ id: "rt_2", mode: "sometimes" })], nextCursor: null }, { "x-request-id": "req_val" });
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.list(DOMAIN));
    expect(err).toBeInstanceOf(ResponseValidationError);
    expect(err).toBeInstanceOf(LiveRelayError);
    const v = err as ResponseValidationError;
    expect(v.path).toBe("items.1.mode");
    expect(v.message).toContain("items.1.mode");
    expect(v.message).toContain("RelayTemplateList");
    expect(v.message).toContain("(request req_val)");
    expect(v.status).toBe(200);
    expectNoSecrets(err);
  });

  it("reports a missing field and a body that is not JSON", async () => {
    const { destinationUrl: _d, ...partial } = template();
    api().get(`${TEMPLATES}/rt_abc`).reply(200, partial);
    api().get(`${TEMPLATES}/rt_abc`).reply(200, "not json", { "content-type": "text/plain" });
    const { client } = testClient();
    const missing = (await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"))) as ResponseValidationError;
    expect(missing.path).toBe("destinationUrl");
    const notJson = (await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"))) as ResponseValidationError;
    expect(notJson).toBeInstanceOf(ResponseValidationError);
    expect(notJson.message).toContain("not JSON");
  });

  it("is not retried", async () => {
    const scope = api().get(`/v1/domains/${DOMAIN}/quota`).reply(200, { destinationUrls: { used: "1", limit: 2 } });
    const { client } = testClient();
    const err = (await caught(() => client.quota.get(DOMAIN))) as ResponseValidationError;
    expect(err.path).toBe("destinationUrls.used");
    expect(scope.isDone()).toBe(true);
  });
});

describe("secrets never reach an error", () => {
  const leakyMessage = `cannot reach ${DEST} with token ${TOKEN}`;

  it.each([400, 401, 404, 409, 429, 500, 503, 418])("a %i whose message echoes the destination URL and the token", async (status) => {
    api().post(TEMPLATES).reply(status, errorBody("Whatever", leakyMessage, "destinationUrl"));
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.create(DOMAIN, create));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toContain("rtmp://a.rtmp.youtube.com/live2/***");
    expectNoSecrets(err);
  });

  it("a non-JSON error body that echoes them", async () => {
    api().put(`/v1/domains/${DOMAIN}/ingest-auth`).reply(500, `upstream said: ${leakyMessage}; see http://x.test/?destinationUrl=${STREAM_KEY}`);
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.ingestAuth.set(DOMAIN, { key: STREAM_KEY }));
    expect(err).toBeInstanceOf(ServerError);
    expectNoSecrets(err);
  });

  it("a list filtered by destinationUrl keeps the query string out of the error", async () => {
    api().get(TEMPLATES).query(true).reply(500, errorBody("Internal", "internal error"));
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.list(DOMAIN, { destinationUrl: DEST }));
    expectNoSecrets(err);
    const v = api().get(TEMPLATES).query(true).reply(200, { items: [{ ...template(), mode: 1 }], nextCursor: null });
    const validation = await caught(() => client.relayTemplates.list(DOMAIN, { destinationUrl: DEST }));
    expect(v.isDone()).toBe(true);
    expect(validation).toBeInstanceOf(ResponseValidationError);
    expectNoSecrets(validation);
  });

  it("connection errors and timeouts of a request whose body holds the key", async () => {
    const port = await closedPort();
    const refused = testClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).client;
    expectNoSecrets(await caught(() => refused.relayTemplates.create(DOMAIN, create)));
    expectNoSecrets(await caught(() => refused.ingestAuth.set(DOMAIN, { key: STREAM_KEY })));
    expectNoSecrets(await caught(() => refused.relayTemplates.list(DOMAIN, { destinationUrl: DEST })));

    api().post(TEMPLATES).delay(2_000).reply(201, template());
    const slow = testClient({ timeoutMs: 50, maxRetries: 0 }).client;
    const timeout = await caught(() => slow.relayTemplates.create(DOMAIN, create));
    expect(timeout).toBeInstanceOf(TimeoutError);
    expectNoSecrets(timeout);
  });

  it("a network failure of the HTTP library keeps only its code and message", async () => {
    api().get(`${TEMPLATES}/rt_x`).replyWithError(Object.assign(new Error(`socket hang up at ${DEST}?token=${TOKEN}`), { code: "ECONNRESET" }));
    const { client } = testClient({ maxRetries: 0 });
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe("ECONNRESET");
    expect(Object.keys(err)).toEqual(["code"]);
    expectNoSecrets(err);
  });

  it("JSON.stringify shows only the safe fields", async () => {
    api().get(`${TEMPLATES}/rt_x`).reply(404, errorBody("NotFound", "relay template rt_x does not exist in this domain"));
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.get(DOMAIN, "rt_x"));
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "NotFoundError",
      message: "404 NotFound: relay template rt_x does not exist in this domain (request req_abc)",
      status: 404,
      code: "NotFound",
      requestId: "req_abc",
    });
  });
});
