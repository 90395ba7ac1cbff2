import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  createClient,
  NotFoundError,
  QuotaExceededError,
  TimeoutError,
  type LiveRelayClient,
  type RelayTemplate,
} from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { publishRtmp, waitFor } from "../helpers/relay";
import { expectNoSecrets, STREAM_KEY } from "./support";

// Against the real service process (relay-service/dist: run `npm run build` first).

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const dest = (n: number | string) => `rtmp://ingest${n}.example.com/live2/${STREAM_KEY}-${n}`;

describe("SDK against the real service", () => {
  let svc: ServiceHandle;
  let small: ServiceHandle;
  let client: LiveRelayClient;
  let smallClient: LiveRelayClient;

  beforeAll(async () => {
    [svc, small] = await Promise.all([startService(), startService({ args: ["--max-destinations-per-domain", "2"] })]);
    client = createClient({ baseUrl: svc.url, token: svc.token, retryBaseDelayMs: 10 });
    smallClient = createClient({ baseUrl: `${small.url}/`, token: small.token, retryBaseDelayMs: 10 });
  });
  afterAll(async () => {
    await Promise.all([svc?.stop(), small?.stop()]);
  });

  it("create (time window), get, update, delete", async () => {
    const domain = "crud.example.com";
    const startTime = inHours(1);
    const endTime = inHours(3);
    const created = await client.relayTemplates.create(domain, {
      appName: "live",
      streamName: "keynote",
      destinationUrl: dest(1),
      mode: "time",
      startTime,
      endTime,
      description: "keynote to YouTube",
    });
    expect(created).toMatchObject({ domain, appName: "live", streamName: "keynote", destinationUrl: dest(1), mode: "time", startTime, endTime });
    expect(created.id).toMatch(/^rt_/);
    expect(await client.relayTemplates.get(domain, created.id)).toEqual(created);

    const updated = await client.relayTemplates.update(domain, created.id, { endTime: inHours(4), description: null });
    expect(updated).toMatchObject({ id: created.id, startTime, endTime: inHours(4), description: null });
    const always = await client.relayTemplates.update(domain, created.id, { mode: "always" });
    expect(always).toMatchObject({ mode: "always", startTime: null, endTime: null });

    await client.relayTemplates.delete(domain, created.id);
    const gone = await client.relayTemplates.get(domain, created.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as NotFoundError).message).toMatch(new RegExp(`^404 NotFound: relay template ${created.id} does not exist in this domain \\(request req_[\\w-]+\\)$`));
    expect(await client.relayTemplates.delete(domain, created.id).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("list with filters, and listAll over 3 pages", async () => {
    const domain = "list.example.com";
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await client.relayTemplates.create(domain, { appName: "live", streamName: i < 4 ? "main" : "other", destinationUrl: dest(i), mode: "always" });
      ids.push(t.id);
    }
    const page = await client.relayTemplates.list(domain, { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));

    const all: RelayTemplate[] = [];
    for await (const t of client.relayTemplates.listAll(domain, { limit: 2 })) all.push(t);
    expect(all.map((t) => t.id).sort()).toEqual([...ids].sort());

    const main: string[] = [];
    for await (const t of client.relayTemplates.listAll(domain, { streamName: "main", limit: 3 })) main.push(t.id);
    expect(main.sort()).toEqual(ids.slice(0, 4).sort());

    const byUrl = await client.relayTemplates.list(domain, { destinationUrl: dest(2) });
    expect(byUrl.items.map((t) => t.id)).toEqual([ids[2]]);
    expect(byUrl.nextCursor).toBeNull();
    expect(await client.quota.get(domain)).toEqual({ destinationUrls: { used: 5, limit: 200 } });
  });

  it("BadRequestError names the field, and never shows the stream key", async () => {
    const domain = "bad.example.com";
    const window = await client.relayTemplates
      .create(domain, { appName: "live", streamName: "s", destinationUrl: dest("w"), mode: "time", startTime: inHours(3), endTime: inHours(1) })
      .catch((e: unknown) => e);
    expect(window).toBeInstanceOf(BadRequestError);
    expect(window).toMatchObject({ status: 400, code: "BadRequest", field: "endTime" });
    expectNoSecrets(window);

    const url = await client.relayTemplates
      .create(domain, { appName: "live", streamName: "s", destinationUrl: `http://example.com/app/${STREAM_KEY}`, mode: "always" })
      .catch((e: unknown) => e);
    expect(url).toMatchObject({ status: 400, field: "destinationUrl" });
    expectNoSecrets(url);

    const badDomain = await client.quota.get("Not_A_Domain").catch((e: unknown) => e);
    expect(badDomain).toBeInstanceOf(BadRequestError);
    expect(badDomain).toMatchObject({ field: "domain" });
  });

  it("an identity field in a patch → BadRequestError with code ImmutableField", async () => {
    const domain = "immutable.example.com";
    const t = await client.relayTemplates.create(domain, { appName: "live", streamName: "s", destinationUrl: dest("i"), mode: "always" });
    const patch = { destinationUrl: dest("other") } as unknown as Parameters<LiveRelayClient["relayTemplates"]["update"]>[2];
    const err = await client.relayTemplates.update(domain, t.id, patch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, code: "ImmutableField", field: "destinationUrl" });
    expectNoSecrets(err);
  });

  it("a duplicate is a ConflictError; the quota is a QuotaExceededError (and a ConflictError)", async () => {
    const domain = "quota.example.com";
    const input = (n: number) => ({ appName: "live", streamName: "s", destinationUrl: dest(n), mode: "always" as const });
    await smallClient.relayTemplates.create(domain, input(1));
    const duplicate = await smallClient.relayTemplates.create(domain, input(1)).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect(duplicate).not.toBeInstanceOf(QuotaExceededError);
    expect(duplicate).toMatchObject({ code: "Conflict", field: "destinationUrl" });

    await smallClient.relayTemplates.create(domain, input(2));
    const full = await smallClient.relayTemplates.create(domain, input(3)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(QuotaExceededError);
    expect(full).toBeInstanceOf(ConflictError);
    expect(full).toMatchObject({ status: 409, code: "QuotaExceeded" });
    expectNoSecrets(full);
    expect(await smallClient.quota.get(domain)).toEqual({ destinationUrls: { used: 2, limit: 2 } });
    // Another domain has its own quota.
    await smallClient.relayTemplates.create("other.example.com", input(3));
  });

  it("a create replayed with the same idempotency key returns the same template and creates nothing", async () => {
    const domain = "idem.example.com";
    const input = { appName: "live", streamName: "s", destinationUrl: dest("k"), mode: "always" as const };
    const first = await client.relayTemplates.create(domain, input, { idempotencyKey: "deploy-7" });
    const again = await client.relayTemplates.create(domain, input, { idempotencyKey: "deploy-7" });
    expect(again.id).toBe(first.id);
    expect(await client.quota.get(domain)).toMatchObject({ destinationUrls: { used: 1 } });

    const otherBody = await client.relayTemplates.create(domain, { ...input, streamName: "t" }, { idempotencyKey: "deploy-7" }).catch((e: unknown) => e);
    expect(otherBody).toBeInstanceOf(ConflictError);
    expect(otherBody).toMatchObject({ field: "Idempotency-Key" });

    // Without a key, a second create of the same destination is a duplicate.
    expect(await client.relayTemplates.create(domain, input, { idempotencyKey: false }).catch((e: unknown) => e)).toBeInstanceOf(ConflictError);
  });

  it("relay status, waitForState, relays and streams", async () => {
    const domain = "status.example.com";
    const always = await client.relayTemplates.create(domain, { appName: "live", streamName: "s", destinationUrl: dest("a"), mode: "always" });
    const later = await client.relayTemplates.create(domain, {
      appName: "live",
      streamName: "s",
      destinationUrl: dest("b"),
      mode: "time",
      startTime: inHours(1),
      endTime: inHours(2),
    });
    // Nothing publishes live/s: the always-on relay waits for its source, the other is outside its window.
    const waiting = await client.relayTemplates.waitForState(domain, always.id, "waiting", { deadlineMs: 10_000, pollIntervalMs: 100 });
    expect(waiting).toMatchObject({ templateId: always.id, state: "waiting", restarts: 0 });
    expect(await client.relayTemplates.status(domain, later.id)).toMatchObject({ templateId: later.id, state: "inactive" });
    const relays = await client.relays.list(domain);
    expect(relays.items.map((r) => r.templateId).sort()).toEqual([always.id, later.id].sort());
    expect(await client.streams.list(domain)).toEqual({ items: [] });
    expect(await client.relayTemplates.status(domain, "rt_missing").catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);

    const timedOut = await client.relayTemplates.waitForState(domain, later.id, "relaying", { deadlineMs: 300, pollIntervalMs: 100 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect((timedOut as TimeoutError).message).toContain("state inactive");
  });

  it("processing: a live stream's recorder, as the SDK parses it; list and forStream agree", async () => {
    const domain = "processing.example.com";
    await client.recordingConfig.set(domain, "live", { format: "flv", segmentSeconds: 60 });
    expect(await client.processing.forStream(domain, "live", "cam")).toEqual({ items: [] });
    const pub = publishRtmp(`rtmp://127.0.0.1:${String(svc.ready.rtmpPort)}/live/cam?vhost=${domain}`, { seconds: 6, size: "320x180", rate: 25 });
    try {
      const [recorder] = await waitFor("the recorder running", async () => {
        const { items } = await client.processing.forStream(domain, "live", "cam");
        return items[0]?.state === "running" && items;
      }, 20_000);
      expect(recorder).toMatchObject({ kind: "recorder", id: "recorder:live/cam", restarts: 0 });
      expect(recorder.kind === "recorder" && recorder.stats.fileId).toMatch(/^rec_/);
      expect((await client.processing.list(domain)).items.map((w) => w.id)).toEqual(["recorder:live/cam"]);
    } finally {
      await pub.kill();
    }
  });

  it("ingest auth: set, get, delete; the key is never returned nor shown in an error", async () => {
    const domain = "ingest.example.com";
    expect(await client.ingestAuth.get(domain)).toEqual({ domain, enabled: false, srtPassphraseSet: false, playKeySet: false, updatedAt: null });
    const set = await client.ingestAuth.set(domain, { key: `${STREAM_KEY}-publish`, srtPassphrase: "srt-passphrase-1", playKey: `${STREAM_KEY}-play` });
    expect(set).toMatchObject({ domain, enabled: true, srtPassphraseSet: true, playKeySet: true });
    expect(JSON.stringify(await client.ingestAuth.get(domain))).not.toContain(STREAM_KEY);

    const short = await client.ingestAuth.set(domain, { key: STREAM_KEY.slice(0, 10) }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(BadRequestError);
    expect(short).toMatchObject({ field: "key" });
    expect(String(short)).not.toContain(STREAM_KEY.slice(0, 10));

    await client.ingestAuth.delete(domain);
    expect(await client.ingestAuth.get(domain)).toMatchObject({ enabled: false });
  });

  it("ingest settings: the defaults for a new domain, then set and read back", async () => {
    const domain = "settings.example.com";
    expect(await client.ingestSettings.get(domain)).toEqual({ domain, publisherTakeover: false, openPlayback: false, updatedAt: null });
    const set = await client.ingestSettings.set(domain, { publisherTakeover: true });
    expect(set).toMatchObject({ domain, publisherTakeover: true, openPlayback: false });
    expect(await client.ingestSettings.get(domain)).toEqual(set);
    const bad = await client.ingestSettings.set(domain, { publisherTakeover: "yes" } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
  });

  it("a wrong token → AuthenticationError, with no token in it", async () => {
    const wrong = createClient({ baseUrl: svc.url, token: "wrong-token-0123456789" });
    const err = await wrong.quota.get("any.example.com").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: "Unauthorized" });
    expect(String(err)).not.toContain("wrong-token-0123456789");
  });
});
