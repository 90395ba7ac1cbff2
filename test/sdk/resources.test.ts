import nock from "nock";
import { describe, expect, it } from "vitest";
import { createClient, NotFoundError, SDK_VERSION, TimeoutError, type RelayStatus, type RelayTemplate } from "../../sdk/src";
import { api, BASE, caught, DEST, DOMAIN, errorBody, template, TEMPLATES, testClient, TOKEN, useNock } from "./support";

useNock();

const status = (state: RelayStatus["state"], over: Partial<RelayStatus> = {}): RelayStatus => ({
  templateId: "rt_abc",
  state,
  restarts: 0,
  since: "2026-11-01T09:00:00Z",
  bitrateKbps: 0,
  fps: 0,
  bytesOut: 0,
  ...over,
});

describe("requests", () => {
  it("sends the bearer token, user-agent, accept and JSON body; returns the parsed template", async () => {
    const input = { appName: "live", streamName: "keynote", destinationUrl: DEST, mode: "time" as const, startTime: "2026-12-01T09:00:00Z", endTime: "2026-12-01T12:00:00Z" };
    let body: unknown;
    const scope = nock(BASE, {
      reqheaders: {
        authorization: `Bearer ${TOKEN}`,
        "user-agent": `liverelay-sdk/${SDK_VERSION}`,
        accept: "application/json",
        "content-type": "application/json",
      },
    })
      .post(TEMPLATES, (b: unknown) => {
        body = b;
        return true;
      })
      .reply(201, template({ mode: "time", startTime: input.startTime, endTime: input.endTime, unknownFutureField: 1 }));
    const { client } = testClient();
    const created: RelayTemplate = await client.relayTemplates.create(DOMAIN, input);
    expect(scope.isDone()).toBe(true);
    expect(body).toEqual(input);
    expect(created).toEqual(template({ mode: "time", startTime: input.startTime, endTime: input.endTime }));
  });

  it.each(["http://api.liverelay.test", "http://api.liverelay.test/", "http://api.liverelay.test//"])("baseUrl %s", async (baseUrl) => {
    const scope = api().get(`/v1/domains/${DOMAIN}/quota`).reply(200, { destinationUrls: { used: 1, limit: 2 } });
    const client = createClient({ baseUrl, token: TOKEN });
    expect(await client.quota.get(DOMAIN)).toEqual({ destinationUrls: { used: 1, limit: 2 } });
    expect(scope.isDone()).toBe(true);
  });

  it("keeps a path prefix of baseUrl", async () => {
    const scope = api().get(`/liverelay/v1/domains/${DOMAIN}/quota`).reply(200, { destinationUrls: { used: 1, limit: 2 } });
    await createClient({ baseUrl: `${BASE}/liverelay/`, token: TOKEN }).quota.get(DOMAIN);
    expect(scope.isDone()).toBe(true);
  });

  it("encodes path segments", async () => {
    const scope = api().get("/v1/domains/a%2Fb/relay-templates/rt%2F..%2Fx%20y%3F").reply(404, errorBody("NotFound", "no"));
    const { client } = testClient();
    expect(await caught(() => client.relayTemplates.get("a/b", "rt/../x y?"))).toBeInstanceOf(NotFoundError);
    expect(scope.isDone()).toBe(true);
  });

  it("refuses empty path segments before any request", async () => {
    const { client } = testClient();
    await expect(client.relayTemplates.get(DOMAIN, "")).rejects.toThrow(TypeError);
    await expect(client.quota.get("")).rejects.toThrow("domain must be a non-empty string");
  });

  it("list sends the filters as query parameters and omits the unset ones", async () => {
    const scope = api()
      .get(TEMPLATES)
      .query({ appName: "live", destinationUrl: DEST, limit: "10", cursor: "abc" })
      .reply(200, { items: [template()], nextCursor: null });
    const { client } = testClient();
    const page = await client.relayTemplates.list(DOMAIN, { appName: "live", streamName: undefined, destinationUrl: DEST, limit: 10, cursor: "abc" });
    expect(page).toEqual({ items: [template()], nextCursor: null });
    expect(scope.isDone()).toBe(true);
  });

  it("update sends PATCH with the patch (null clears a field); delete resolves undefined on 204", async () => {
    const patched = api()
      .patch(`${TEMPLATES}/rt_abc`, { description: null, mode: "always" })
      .reply(200, template());
    const deleted = api().delete(`${TEMPLATES}/rt_abc`).reply(204);
    const { client } = testClient();
    expect(await client.relayTemplates.update(DOMAIN, "rt_abc", { description: null, mode: "always" })).toEqual(template());
    expect(await client.relayTemplates.delete(DOMAIN, "rt_abc")).toBeUndefined();
    expect(patched.isDone() && deleted.isDone()).toBe(true);
  });
});

describe("list: a page that is also async-iterable", () => {
  it("for await over list() follows nextCursor over 3 pages with the same filters", async () => {
    const ids = ["rt_1", "rt_2", "rt_3", "rt_4", "rt_5"];
    api()
      .get(TEMPLATES)
      .query({ streamName: "keynote", limit: "2" })
      .reply(200, { items: [template({ id: ids[0] }), template({ id: ids[1] })], nextCursor: "c1" })
      .get(TEMPLATES)
      .query({ streamName: "keynote", limit: "2", cursor: "c1" })
      .reply(200, { items: [template({ id: ids[2] }), template({ id: ids[3] })], nextCursor: "c2" })
      .get(TEMPLATES)
      .query({ streamName: "keynote", limit: "2", cursor: "c2" })
      .reply(200, { items: [template({ id: ids[4] })], nextCursor: null });
    const { client } = testClient();
    const seen: string[] = [];
    for await (const t of client.relayTemplates.list(DOMAIN, { streamName: "keynote", limit: 2 })) seen.push(t.id);
    expect(seen).toEqual(ids);
    expect(nock.isDone()).toBe(true);
  });

  it("stops after the page the caller stopped in", async () => {
    api().get(TEMPLATES).reply(200, { items: [template({ id: "rt_1" }), template({ id: "rt_2" })], nextCursor: "c1" });
    const { client } = testClient();
    for await (const t of client.relayTemplates.list(DOMAIN)) {
      expect(t.id).toBe("rt_1");
      break;
    }
    expect(nock.isDone()).toBe(true);
  });

  it("an empty domain yields nothing; a cursor that repeats ends the walk", async () => {
    api().get(TEMPLATES).reply(200, { items: [], nextCursor: null });
    const { client } = testClient();
    const all: RelayTemplate[] = [];
    for await (const t of client.relayTemplates.list(DOMAIN)) all.push(t);
    expect(all).toEqual([]);

    api().get(TEMPLATES).reply(200, { items: [template()], nextCursor: "same" });
    api().get(TEMPLATES).query({ cursor: "same" }).reply(200, { items: [template()], nextCursor: "same" });
    for await (const t of client.relayTemplates.list(DOMAIN)) all.push(t);
    expect(all).toHaveLength(2);
  });

  it("await list() is the first page: hasNextPage() / getNextPage(), and iterating a page goes on from it", async () => {
    api().get(TEMPLATES).query({ limit: "1" }).reply(200, { items: [template({ id: "rt_1" })], nextCursor: "c1" });
    api().get(TEMPLATES).query({ limit: "1", cursor: "c1" }).reply(200, { items: [template({ id: "rt_2" })], nextCursor: "c2" });
    api().get(TEMPLATES).query({ limit: "1", cursor: "c2" }).reply(200, { items: [template({ id: "rt_3" })], nextCursor: null });
    const { client } = testClient();
    const first = await client.relayTemplates.list(DOMAIN, { limit: 1 });
    expect(first.items.map((t) => t.id)).toEqual(["rt_1"]);
    expect(first.nextCursor).toBe("c1");
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.items.map((t) => t.id)).toEqual(["rt_2"]);
    const last = await second.getNextPage();
    expect(last.hasNextPage()).toBe(false);
    await expect(last.getNextPage()).rejects.toThrow(/last page/);
    expect(JSON.parse(JSON.stringify(last))).toEqual({ items: [template({ id: "rt_3" })], nextCursor: null });
    expect(nock.isDone()).toBe(true);
    // Iterating a page yields its items and those of the pages after it (fetched again).
    api().get(TEMPLATES).query({ limit: "1", cursor: "c2" }).reply(200, { items: [template({ id: "rt_3" })], nextCursor: null });
    const rest: string[] = [];
    for await (const t of second) rest.push(t.id);
    expect(rest).toEqual(["rt_2", "rt_3"]);
  });

  it("sends nothing until awaited or iterated, and only once however often it is awaited", async () => {
    const scope = api().get(TEMPLATES).reply(200, { items: [template()], nextCursor: null });
    const { client } = testClient();
    const pending = client.relayTemplates.list(DOMAIN);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(scope.isDone()).toBe(false);
    const [a, b] = await Promise.all([pending, pending]);
    expect(a).toBe(b);
    expect(scope.isDone()).toBe(true);
  });

  it("listAll is kept as a deprecated alias of iterating list()", async () => {
    api().get(TEMPLATES).query({ streamName: "keynote" }).reply(200, { items: [template({ id: "rt_1" })], nextCursor: "c1" });
    api().get(TEMPLATES).query({ streamName: "keynote", cursor: "c1" }).reply(200, { items: [template({ id: "rt_2" })], nextCursor: null });
    const { client } = testClient();
    const seen: string[] = [];
    for await (const t of client.relayTemplates.listAll(DOMAIN, { streamName: "keynote" })) seen.push(t.id);
    expect(seen).toEqual(["rt_1", "rt_2"]);
  });
});

describe("relay status, relays, streams, ingest auth", () => {
  it("status GETs …/relay-templates/{id}/status", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status("relaying", { bitrateKbps: 4500.5, fps: 30, bytesOut: 123456, restarts: 1 }));
    const { client } = testClient();
    expect(await client.relayTemplates.status(DOMAIN, "rt_abc")).toMatchObject({ state: "relaying", bitrateKbps: 4500.5 });
  });

  it("waitForState polls until the state is reached", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status("waiting"));
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status("starting"));
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status("relaying"));
    const { client, sleeps } = testClient();
    const reached = await client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { deadlineMs: 10_000, pollIntervalMs: 250 });
    expect(reached.state).toBe("relaying");
    expect(sleeps).toEqual([250, 250]);
  });

  it("waitForState accepts several states", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status("error", { lastError: { code: "DestinationRefused", message: "refused", at: "2026-11-01T09:00:00Z" } }));
    const { client } = testClient();
    const reached = await client.relayTemplates.waitForState(DOMAIN, "rt_abc", ["relaying", "error"], { deadlineMs: 1_000 });
    expect(reached.lastError?.code).toBe("DestinationRefused");
  });

  it("waitForState gives up with TimeoutError naming the last state and error", async () => {
    api()
      .get(`${TEMPLATES}/rt_abc/status`)
      .times(100)
      .reply(200, status("retrying", { lastError: { code: "Exited", message: `ffmpeg failed on ${DEST}`, at: "2026-11-01T09:00:00Z" } }));
    const client = createClient({ baseUrl: BASE, token: TOKEN });
    const started = Date.now();
    const err = await caught(() => client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { deadlineMs: 150, pollIntervalMs: 20 }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toBe(
      "relay template rt_abc did not reach relaying within 150 ms: state retrying; last error Exited: ffmpeg failed on rtmp://a.rtmp.youtube.com/live2/***",
    );
  });

  it("waitForState stops at an API error", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(404, errorBody("NotFound", "relay template rt_abc does not exist in this domain"));
    const { client } = testClient();
    expect(await caught(() => client.relayTemplates.waitForState(DOMAIN, "rt_abc", "relaying", { deadlineMs: 5_000 }))).toBeInstanceOf(NotFoundError);
  });

  it("relays.list and streams.list", async () => {
    api().get(`/v1/domains/${DOMAIN}/relays`).reply(200, { items: [status("waiting")] });
    const stream = {
      appName: "live",
      streamName: "keynote",
      protocol: "rtmp",
      videoCodec: "h264",
      audioCodec: null,
      width: 1920,
      height: 1080,
      bitrateKbps: 4500,
      startedAt: "2026-11-01T09:00:00Z",
    };
    api().get(`/v1/domains/${DOMAIN}/streams`).reply(200, { items: [stream] });
    const { client } = testClient();
    expect((await client.relays.list(DOMAIN)).items[0].state).toBe("waiting");
    expect(await client.streams.list(DOMAIN)).toEqual({ items: [stream] });
  });

  it("ingestAuth: PUT, GET, DELETE", async () => {
    const state = { domain: DOMAIN, enabled: true, srtPassphraseSet: true, playKeySet: true, updatedAt: "2026-11-01T09:00:00Z" };
    const { playKeySet: _, ...fromOlderService } = state;
    const scope = api()
      .put(`/v1/domains/${DOMAIN}/ingest-auth`, { key: "0123456789abcdefXYZ", srtPassphrase: "passphrase-1", playKey: "play-key-0123456789" })
      .reply(200, state)
      .get(`/v1/domains/${DOMAIN}/ingest-auth`)
      .reply(200, fromOlderService)
      .delete(`/v1/domains/${DOMAIN}/ingest-auth`)
      .reply(204);
    const { client } = testClient();
    expect(await client.ingestAuth.set(DOMAIN, { key: "0123456789abcdefXYZ", srtPassphrase: "passphrase-1", playKey: "play-key-0123456789" })).toEqual(state);
    expect(await client.ingestAuth.get(DOMAIN)).toEqual({ ...state, playKeySet: false }); // a service before playback: no play key
    expect(await client.ingestAuth.delete(DOMAIN)).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it("ingestSettings: PUT and GET, request options last", async () => {
    const state = { domain: DOMAIN, publisherTakeover: true, openPlayback: true, updatedAt: "2026-11-01T09:00:00Z" };
    const scope = api()
      .put(`/v1/domains/${DOMAIN}/ingest-settings`, { publisherTakeover: true, openPlayback: true })
      .reply(200, state)
      .get(`/v1/domains/${DOMAIN}/ingest-settings`)
      .matchHeader("x-trace", "t1")
      .reply(200, { domain: DOMAIN, publisherTakeover: false, updatedAt: null });
    const { client } = testClient();
    expect(await client.ingestSettings.set(DOMAIN, { publisherTakeover: true, openPlayback: true })).toEqual(state);
    // A service before playback does not say openPlayback: it had none.
    expect(await client.ingestSettings.get(DOMAIN, { headers: { "x-trace": "t1" } })).toEqual({ domain: DOMAIN, publisherTakeover: false, openPlayback: false, updatedAt: null });
    expect(scope.isDone()).toBe(true);
  });
});

describe("createClient options", () => {
  it.each([
    [{ baseUrl: "relay:8080", token: TOKEN }, /baseUrl must be an http/],
    [{ baseUrl: "ftp://relay", token: TOKEN }, /baseUrl must be an http/],
    [{ baseUrl: "http://user:pw@relay", token: TOKEN }, /credentials/],
    [{ baseUrl: "http://relay/?x=1", token: TOKEN }, /query string/],
    [{ baseUrl: BASE, token: "" }, /token must be/],
    [{ baseUrl: BASE, token: TOKEN, maxRetries: -1 }, /maxRetries/],
    [{ baseUrl: BASE, token: TOKEN, maxRetries: 1.5 }, /maxRetries/],
    [{ baseUrl: BASE, token: TOKEN, timeoutMs: 0 }, /timeoutMs/],
  ])("refuses %j", (options, message) => {
    expect(() => createClient(options)).toThrow(message);
  });

  it("a wrong token never appears in the option error", () => {
    expect(() => createClient({ baseUrl: `http://x:${TOKEN}@relay`, token: TOKEN })).toThrow(/^((?!SUPERSECRET).)*$/);
  });
});
