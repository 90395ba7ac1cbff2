import { afterEach, expect, it } from "vitest";
import type { Store, TemplateFields } from "../../../relay-service/src/store/store";
import type { StoreChange } from "../../../relay-service/src/store/changes";
import type { RecordingRecord } from "../../../relay-service/src/store/media";

/** Opens another store on the same data: another node (PostgreSQL) or another handle on the file (SQLite). */
export type OpenStore = () => Promise<Store>;

export interface ContractOptions {
  /** Makes fresh, empty data and returns how to open stores on it. */
  freshData(): Promise<OpenStore>;
  /** Whether a second store on the same data hears the first one's changes (a shared store). */
  sharedChanges: boolean;
}

const DOMAIN = "contract.example.com";
const fields = (streamName: string, extra: Partial<TemplateFields> = {}): TemplateFields => ({
  appName: "live",
  streamName,
  destinationUrl: `rtmp://dest.example.com/app/KEY-${streamName}?token=t`,
  mode: "always",
  startTime: null,
  endTime: null,
  description: null,
  protocolConversion: false,
  ...extra,
});
const until = async <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** The Store contract: every implementation passes the same tests. */
export function storeContract(opts: ContractOptions): void {
  const opened: Store[] = [];
  const setup = async (instances = 1) => {
    const open = await opts.freshData();
    const stores: Store[] = [];
    for (let i = 0; i < instances; i++) stores.push(await open());
    opened.push(...stores);
    return stores;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  const create = (store: Store, streamName: string, more: { max?: number; key?: string; hash?: string; domain?: string } = {}) =>
    store.createRelayTemplate({
      domain: more.domain ?? DOMAIN,
      fields: fields(streamName),
      maxPerDomain: more.max ?? 200,
      idempotency: more.key ? { key: more.key, requestHash: more.hash ?? "h1" } : undefined,
      now: new Date(),
    });
  const createdId = async (store: Store, streamName: string) => {
    const r = await create(store, streamName);
    if (r.kind !== "created") throw new Error(`not created: ${r.kind}`);
    return r.template.id;
  };

  it("creates, reads, updates and deletes relay templates; a duplicate destination is refused", async () => {
    const [store] = await setup();
    expect(store.isOpen()).toBe(true);
    const r = await create(store, "a");
    expect(r.kind).toBe("created");
    const t = r.kind === "created" ? r.template : null!;
    expect(t).toMatchObject({ domain: DOMAIN, appName: "live", streamName: "a", mode: "always", description: null, protocolConversion: false });
    expect(await store.getRelayTemplate(DOMAIN, t.id)).toEqual(t);
    expect(await store.getRelayTemplate("other.example.com", t.id)).toBeNull();
    expect((await create(store, "a")).kind).toBe("duplicate");
    const later = new Date(Date.now() + 1000);
    const updated = await store.updateRelayTemplate(DOMAIN, t.id, (cur) => ({ mode: cur.mode, startTime: null, endTime: null, description: "new", protocolConversion: true }), later);
    expect(updated).toMatchObject({ id: t.id, description: "new", protocolConversion: true, createdAt: t.createdAt, updatedAt: later.toISOString() });
    expect(await store.getRelayTemplate(DOMAIN, t.id)).toEqual(updated);
    expect(await store.updateRelayTemplate(DOMAIN, "rt_missing", (cur) => cur, new Date())).toBeNull();
    expect(await store.countRelayTemplates(DOMAIN)).toBe(1);
    expect(await store.deleteRelayTemplate(DOMAIN, t.id)).toBe(true);
    expect(await store.deleteRelayTemplate(DOMAIN, t.id)).toBe(false);
    expect(await store.getRelayTemplate(DOMAIN, t.id)).toBeNull();
  });

  it("an update runs its change on the current row inside the transaction: a throwing change writes nothing, concurrent changes all apply", async () => {
    const [a, b] = await setup(2);
    const id = await createdId(a, "u");
    await expect(a.updateRelayTemplate(DOMAIN, id, () => { throw new Error("refused"); }, new Date())).rejects.toThrow("refused");
    expect((await a.getRelayTemplate(DOMAIN, id))?.description).toBeNull();
    const append = (s: Store, ch: string) => s.updateRelayTemplate(DOMAIN, id, (cur) => ({ mode: cur.mode, startTime: null, endTime: null, description: (cur.description ?? "") + ch, protocolConversion: cur.protocolConversion }), new Date());
    await Promise.all("abcdefghij".split("").map((ch, i) => append(i % 2 ? a : b, ch)));
    const final = (await a.getRelayTemplate(DOMAIN, id))!.description!;
    expect(final.split("").sort().join("")).toBe("abcdefghij");
  });

  it("pages by id and filters by app, stream and destination", async () => {
    const [store] = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createdId(store, `s${i}`));
    await create(store, "x", { domain: "other.example.com" });
    const seen: string[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await store.listRelayTemplates(DOMAIN, {}, { limit: 3, afterId });
      seen.push(...page.items.map((t) => t.id));
      if (!page.lastId) break;
      afterId = page.lastId;
    }
    expect(seen).toEqual([...ids].sort());
    expect((await store.listRelayTemplates(DOMAIN, { streamName: "s3" }, { limit: 10 })).items.map((t) => t.id)).toEqual([ids[3]]);
    expect((await store.listRelayTemplates(DOMAIN, { destinationUrl: fields("s4").destinationUrl }, { limit: 10 })).items).toHaveLength(1);
    expect((await store.listRelayTemplates(DOMAIN, { appName: "nope" }, { limit: 10 })).items).toHaveLength(0);
    expect(await store.listAllRelayTemplates()).toHaveLength(8);
  });

  it("holds the per-domain quota exactly under concurrent creates from several connections", async () => {
    const [a, b] = await setup(2);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => create(i % 2 ? a : b, `q${i}`, { max: 25 })));
    const kinds = results.map((r) => r.kind);
    expect(kinds.filter((k) => k === "created")).toHaveLength(25);
    expect(kinds.filter((k) => k === "quota-exceeded")).toHaveLength(15);
    expect(results.find((r) => r.kind === "quota-exceeded")).toEqual({ kind: "quota-exceeded", used: 25, limit: 25 });
    expect(await a.countRelayTemplates(DOMAIN)).toBe(25);
    // Another domain has its own quota.
    expect((await create(a, "q0", { max: 25, domain: "else.example.com" })).kind).toBe("created");
  });

  it("replays an idempotent create, refuses the key with another request, and creates once when the same key races", async () => {
    const [a, b] = await setup(2);
    const first = await create(a, "i", { key: "k1" });
    expect(first.kind).toBe("created");
    const again = await create(b, "i", { key: "k1" });
    expect(again).toEqual({ kind: "replayed", template: first.kind === "created" ? first.template : null });
    expect(await create(a, "i", { key: "k1", hash: "other" })).toEqual({ kind: "idempotency-mismatch" });
    const race = await Promise.all(Array.from({ length: 12 }, (_, i) => create(i % 2 ? a : b, "race", { key: "k2" })));
    expect(race.filter((r) => r.kind === "created")).toHaveLength(1);
    expect(race.filter((r) => r.kind === "replayed")).toHaveLength(11);
    const ids = new Set(race.map((r) => (r.kind === "created" || r.kind === "replayed" ? r.template.id : "")));
    expect(ids.size).toBe(1);
    expect(await a.countRelayTemplates(DOMAIN)).toBe(2);
  });

  it("keeps ingest auth and ingest settings per domain", async () => {
    const [store] = await setup();
    const at = new Date().toISOString();
    expect(await store.getIngestAuth(DOMAIN)).toBeNull();
    await store.setIngestAuth({ domain: DOMAIN, key: "signing-key-1", srtPassphrase: null, playKey: "play-key-1", updatedAt: at });
    await store.setIngestAuth({ domain: DOMAIN, key: "signing-key-2", srtPassphrase: "passphrase-123", playKey: null, updatedAt: at });
    await store.setIngestAuth({ domain: "b.example.com", key: "k", srtPassphrase: null, playKey: "play-key-b", updatedAt: at });
    expect(await store.getIngestAuth(DOMAIN)).toEqual({ domain: DOMAIN, key: "signing-key-2", srtPassphrase: "passphrase-123", playKey: null, updatedAt: at });
    expect((await store.getIngestAuth("b.example.com"))?.playKey).toBe("play-key-b");
    expect((await store.listIngestAuth()).map((r) => r.domain)).toEqual(["b.example.com", DOMAIN]);
    expect(await store.deleteIngestAuth(DOMAIN)).toBe(true);
    expect(await store.deleteIngestAuth(DOMAIN)).toBe(false);
    expect(await store.getIngestSettings(DOMAIN)).toBeNull();
    await store.setIngestSettings({ domain: DOMAIN, publisherTakeover: true, openPlayback: false, updatedAt: at });
    expect(await store.getIngestSettings(DOMAIN)).toEqual({ domain: DOMAIN, publisherTakeover: true, openPlayback: false, updatedAt: at });
    await store.setIngestSettings({ domain: DOMAIN, publisherTakeover: false, openPlayback: true, updatedAt: at });
    expect(await store.listIngestSettings()).toEqual([{ domain: DOMAIN, publisherTakeover: false, openPlayback: true, updatedAt: at }]);
  });

  it("keeps transcode templates, snapshot and recording configs", async () => {
    const [store] = await setup();
    const spec = { appName: "live", video: { width: 640, height: 360, bitrateKbps: 800, fps: null, codec: "h264" }, audio: { bitrateKbps: 96 } } as never;
    const first = await store.putTranscodeTemplate(DOMAIN, "sd", spec, new Date(1_000));
    expect(first.created).toBe(true);
    const second = await store.putTranscodeTemplate(DOMAIN, "sd", spec, new Date(2_000));
    expect(second).toMatchObject({ created: false, template: { id: "sd", createdAt: new Date(1_000).toISOString(), updatedAt: new Date(2_000).toISOString() } });
    expect(await store.getTranscodeTemplate(DOMAIN, "sd")).toEqual(second.template);
    expect(await store.listTranscodeTemplates(DOMAIN)).toHaveLength(1);
    expect(await store.listAllTranscodeTemplates()).toHaveLength(1);
    expect(await store.deleteTranscodeTemplate(DOMAIN, "sd")).toBe(true);
    expect(await store.deleteTranscodeTemplate(DOMAIN, "sd")).toBe(false);

    const snap = { domain: DOMAIN, appName: "live", intervalSeconds: 10, keep: 5, updatedAt: new Date().toISOString() };
    await store.setSnapshotConfig(snap);
    expect(await store.getSnapshotConfig(DOMAIN, "live")).toEqual(snap);
    expect(await store.listAllSnapshotConfigs()).toEqual([snap]);
    expect(await store.deleteSnapshotConfig(DOMAIN, "live")).toBe(true);
    const rec = { domain: DOMAIN, appName: "live", format: "hls" as const, segmentSeconds: 4, updatedAt: new Date().toISOString() };
    await store.setRecordingConfig(rec);
    expect(await store.getRecordingConfig(DOMAIN, "live")).toEqual(rec);
    expect(await store.listAllRecordingConfigs()).toEqual([rec]);
    expect(await store.deleteRecordingConfig(DOMAIN, "live")).toBe(true);
    expect(await store.getRecordingConfig(DOMAIN, "live")).toBeNull();
  });

  it("indexes recordings: add, finish, page, filter, unfinished per writing node, delete", async () => {
    const [store] = await setup();
    const rec = (i: number): RecordingRecord => ({
      id: `rec_${String(i).padStart(3, "0")}`, domain: DOMAIN, appName: "live", streamName: i % 2 ? "odd" : "even", format: "mp4",
      path: `${DOMAIN}/live/${i}.mp4`, startedAt: new Date(i * 1000).toISOString(), endedAt: null, durationSeconds: null, bytes: 0,
      nodeId: i === 3 ? "node-b" : "node-a",
    });
    for (let i = 0; i < 5; i++) await store.addRecording(rec(i));
    expect(await store.finishRecording("rec_001", { endedAt: new Date(9_000).toISOString(), durationSeconds: 4.5, bytes: 6_000_000_000 })).toBe(true);
    expect(await store.finishRecording("rec_nope", { endedAt: null, durationSeconds: null, bytes: 0 })).toBe(false);
    expect(await store.getRecording(DOMAIN, "rec_001")).toMatchObject({ durationSeconds: 4.5, bytes: 6_000_000_000, endedAt: new Date(9_000).toISOString() });
    const page1 = await store.listRecordings(DOMAIN, {}, { limit: 2 });
    const page2 = await store.listRecordings(DOMAIN, {}, { limit: 2, afterId: page1.lastId! });
    expect([...page1.items, ...page2.items].map((r) => r.id)).toEqual(["rec_000", "rec_001", "rec_002", "rec_003"]);
    expect((await store.listRecordings(DOMAIN, { streamName: "odd" }, { limit: 10 })).items.map((r) => r.id)).toEqual(["rec_001", "rec_003"]);
    // Each node recovers only what it was writing: node-b's open rec_003 is not node-a's to close.
    expect((await store.listUnfinishedRecordings("node-a")).map((r) => r.id)).toEqual(["rec_000", "rec_002", "rec_004"]);
    expect(await store.listUnfinishedRecordings("node-b")).toEqual([{ ...rec(3) }]);
    expect(await store.listUnfinishedRecordings("node-c")).toEqual([]);
    expect(await store.deleteRecording(DOMAIN, "rec_000")).toBe(true);
    expect(await store.getRecording(DOMAIN, "rec_000")).toBeNull();
  });

  it("appends events in order, records template writes in their transaction, and prunes from the old end", async () => {
    const [store] = await setup();
    const announced: string[] = [];
    store.outbox.onEventsAppended((d) => announced.push(d));
    const id = await createdId(store, "e");
    await store.deleteRelayTemplate(DOMAIN, id);
    const appended = await store.outbox.appendEvent({ domain: DOMAIN, type: "stream.started", occurredAt: new Date().toISOString(), data: { appName: "live", streamName: "e" } });
    const events = await store.outbox.eventsAfter(DOMAIN, 0, 100);
    expect(events.map((e) => e.event.type)).toEqual(["relay_template.created", "relay_template.deleted", "stream.started"]);
    expect(JSON.stringify(events)).not.toMatch(/KEY-e|token=t/);
    expect(events[2]).toEqual(appended);
    expect(await store.outbox.getEvent(appended.seq)).toEqual(appended);
    expect(await store.outbox.lastEventSeq()).toBe(appended.seq);
    expect(await store.outbox.eventsAfter(DOMAIN, events[0].seq, 1)).toEqual([events[1]]);
    await until("events announced", () => announced.length >= 3);
    // Pruning: everything before a time, and anything beyond a count.
    const old = new Date(Date.now() - 3_600_000).toISOString();
    for (let i = 0; i < 5; i++) await store.outbox.appendEvent({ domain: "p.example.com", type: "stream.started", occurredAt: old, data: {} });
    expect(await store.outbox.pruneEvents(new Date(Date.now() - 60_000).toISOString(), 1_000)).toBe(5);
    expect(await store.outbox.eventsAfter(DOMAIN, 0, 100)).toHaveLength(3);
    expect(await store.outbox.pruneEvents(old, 1)).toBe(2);
    expect((await store.outbox.eventsAfter(DOMAIN, 0, 100)).map((e) => e.seq)).toEqual([appended.seq]);
  });

  it("commits events in seq order: a reader tailing by seq > last seen, while two writers append concurrently, misses none", async () => {
    const [a, b] = await setup(2);
    const total = 240;
    let written = 0;
    const seen: number[] = [];
    const tail = (async () => {
      let cursor = 0;
      while (written < total || seen.length < total) {
        const batch = await a.outbox.eventsAfter(DOMAIN, cursor, 50);
        for (const e of batch) seen.push(e.seq);
        if (batch.length > 0) cursor = batch[batch.length - 1].seq;
        else if (written >= total) break;
      }
    })();
    const writer = async (s: Store, w: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = i % 10 === 0 ? create(s, `o-${w}-${i}`) : s.outbox.appendEvent({ domain: DOMAIN, type: "stream.started", occurredAt: new Date().toISOString(), data: { i } });
        await r;
        written++;
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => writer(w % 2 ? a : b, w, total / 12)));
    await tail;
    const all = (await a.outbox.eventsAfter(DOMAIN, 0, 1_000)).map((e) => e.seq);
    expect(all).toHaveLength(total);
    expect(seen).toEqual(all);
  });

  it("keeps webhooks with a quota and a cursor; one delivery per event, claimed by one worker at a time", async () => {
    const [a, b] = await setup(2);
    const at = new Date().toISOString();
    const hook = (id: string, enabled = true) => ({ domain: DOMAIN, id, url: "https://hooks.example.com/x", events: ["*"], secret: "whsec_x", description: null, enabled, updatedAt: at });
    const before = await a.outbox.appendEvent({ domain: DOMAIN, type: "stream.started", occurredAt: at, data: {} });
    const put = await a.webhooks.putWebhook(hook("w1"), 2);
    expect(put).toMatchObject({ created: true, webhook: { id: "w1", enabled: true, cursor: before.seq, events: ["*"] } });
    expect(await a.webhooks.putWebhook(hook("w2"), 2)).toMatchObject({ created: true });
    expect(await a.webhooks.putWebhook(hook("w3"), 2)).toEqual({ quotaExceeded: true });
    expect(await a.webhooks.putWebhook(hook("w2", false), 2)).toMatchObject({ created: false, webhook: { enabled: false } });
    expect((await a.webhooks.listWebhooks(DOMAIN)).map((w) => w.id)).toEqual(["w1", "w2"]);
    expect(await a.webhooks.listAllWebhooks()).toHaveLength(2);

    const ev = await a.outbox.appendEvent({ domain: DOMAIN, type: "stream.started", occurredAt: at, data: {} });
    expect(await a.webhooks.webhookBacklog()).toMatchObject({ events: 1 });
    const d = (id: string) => ({ id, domain: DOMAIN, webhookId: "w1", eventSeq: ev.seq, eventId: ev.event.id, eventType: ev.event.type, nextAttemptAt: Date.now(), createdAt: at });
    // Two workers (nodes) open the delivery of the same event: one row.
    const [d1, d2] = await Promise.all([a.webhooks.createDelivery(d("dlv_1"), 100), b.webhooks.createDelivery(d("dlv_2"), 100)]);
    expect(d1.id).toBe(d2.id);
    expect(await a.webhooks.pendingDelivery(DOMAIN, "w1")).toMatchObject({ id: d1.id, status: "pending", attempts: 0 });
    // Only one claim wins; the claim ends with the recorded attempt.
    const claims = await Promise.all([a.webhooks.claimDelivery(d1.id, 60_000), b.webhooks.claimDelivery(d1.id, 60_000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const attempt = { at, statusCode: 500, latencyMs: 3, error: "HTTP 500" };
    await a.webhooks.recordAttempt(d1.id, attempt, { status: "pending", nextAttemptAt: Date.now(), advanceCursor: false });
    expect(await b.webhooks.claimDelivery(d1.id, 60_000)).toMatchObject({ id: d1.id, attempts: 1 });
    await b.webhooks.releaseDelivery(d1.id);
    expect(await a.webhooks.claimDelivery(d1.id, 60_000)).not.toBeNull();
    const done = await a.webhooks.recordAttempt(d1.id, { ...attempt, statusCode: 200, error: null }, { status: "succeeded", nextAttemptAt: null, advanceCursor: true });
    expect(done).toMatchObject({ status: "succeeded", attempts: 2, nextAttemptAt: null });
    expect(done!.recentAttempts.map((x) => x.statusCode)).toEqual([500, 200]);
    expect(await b.webhooks.claimDelivery(d1.id, 60_000)).toBeNull(); // finished
    expect((await a.webhooks.getWebhook(DOMAIN, "w1"))!.cursor).toBe(ev.seq);
    expect(await a.webhooks.pendingDelivery(DOMAIN, "w1")).toBeNull();
    expect(await a.webhooks.getDelivery(DOMAIN, "w1", d1.id)).toEqual(done);
    expect(await a.webhooks.listDeliveries(DOMAIN, "w1", 10)).toEqual([done]);
    expect(await a.webhooks.webhookBacklog()).toEqual({ events: 0, oldestOccurredAt: null });
    await a.webhooks.advanceWebhookCursor(DOMAIN, "w1", ev.seq - 1); // never backwards
    expect((await a.webhooks.getWebhook(DOMAIN, "w1"))!.cursor).toBe(ev.seq);
    expect(await a.webhooks.deleteWebhook(DOMAIN, "w1")).toBe(true);
    expect(await a.webhooks.getDelivery(DOMAIN, "w1", d1.id)).toBeNull();
  });

  it("tells its change feed of every committed write, in order, and nothing of a refused one", async () => {
    const [a, b] = await setup(2);
    const heard: StoreChange[] = [];
    const other: StoreChange[] = [];
    const unsubscribe = a.changes.on(() => {
      throw new Error("a broken listener"); // reported; the write stands and the others are told
    });
    a.changes.on((c) => heard.push(c));
    b.changes.on((c) => other.push(c));
    const at = new Date().toISOString();
    const id = await createdId(a, "c");
    expect((await create(a, "c")).kind).toBe("duplicate");
    unsubscribe();
    await a.updateRelayTemplate(DOMAIN, id, (t) => ({ mode: t.mode, startTime: null, endTime: null, description: "x", protocolConversion: false }), new Date());
    await a.deleteRelayTemplate(DOMAIN, id);
    await a.setIngestAuth({ domain: DOMAIN, key: "secret-signing-key", srtPassphrase: null, playKey: null, updatedAt: at });
    await a.setIngestSettings({ domain: DOMAIN, publisherTakeover: true, openPlayback: false, updatedAt: at });
    await a.setSnapshotConfig({ domain: DOMAIN, appName: "live", intervalSeconds: 5, keep: 2, updatedAt: at });
    await a.webhooks.putWebhook({ domain: DOMAIN, id: "w", url: "https://h.example.com", events: ["*"], secret: "whsec_secret", description: null, enabled: true, updatedAt: at }, 10);
    await a.outbox.appendEvent({ domain: DOMAIN, type: "stream.started", occurredAt: at, data: {} });
    const expected = [
      { kind: "relay-template", op: "created", domain: DOMAIN, id },
      { kind: "relay-template", op: "updated", domain: DOMAIN, id },
      { kind: "relay-template", op: "deleted", domain: DOMAIN, id },
      { kind: "ingest-auth", domain: DOMAIN },
      { kind: "ingest-settings", domain: DOMAIN },
      { kind: "media-config", config: "snapshot", domain: DOMAIN },
      { kind: "webhook", domain: DOMAIN, id: "w" },
    ];
    const nonEvents = (list: StoreChange[]) => list.filter((c) => c.kind !== "events-appended");
    await until("the changes", () => nonEvents(heard).length >= expected.length);
    expect(nonEvents(heard)).toEqual(expected);
    // Each template write and the appended event are announced with their domain and seq.
    await until("event changes", () => heard.filter((c) => c.kind === "events-appended").length >= 4);
    const last = await a.outbox.lastEventSeq();
    expect(heard.filter((c) => c.kind === "events-appended").at(-1)).toEqual({ kind: "events-appended", domain: DOMAIN, lastSeq: last });
    expect(JSON.stringify(heard)).not.toMatch(/secret|KEY-c/);
    if (opts.sharedChanges) {
      // The other node hears the same, in the same order.
      await until("the other node's changes", () => nonEvents(other).length >= expected.length);
      expect(nonEvents(other)).toEqual(expected);
    } else {
      expect(other).toEqual([]);
    }
  });
}
