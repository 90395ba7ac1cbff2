import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../../relay-service/src/store/sqlite/sqlite-store";
import { eventIdOf, seqOfEventId } from "../../../relay-service/src/events/outbox";
import { RefusalEvents } from "../../../relay-service/src/ingest/refusal-events";
import type { EventSink } from "../../../relay-service/src/events/event-bus";

const DOMAIN = "events.example.com";
const fields = (streamName: string) => ({
  appName: "live",
  streamName,
  destinationUrl: "rtmp://a.example.com/live2/SECRET-KEY?token=abc",
  mode: "always" as const,
  startTime: null,
  endTime: null,
  description: null,
  protocolConversion: false,
});

describe("outbox (SQLite)", () => {
  const stores: SqliteStore[] = [];
  const open = (file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outbox-")), "db.sqlite")) => {
    const s = new SqliteStore(file);
    stores.push(s);
    return { store: s, file };
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it("records template writes in their own transaction, with the stream key redacted, and announces them after the commit", async () => {
    const { store } = open();
    const announced: [string, number][] = [];
    store.outbox.onEventsAppended((d, seq) => announced.push([d, seq]));
    const created = await store.createRelayTemplate({ domain: DOMAIN, fields: fields("a"), maxPerDomain: 10, now: new Date() });
    expect(created.kind).toBe("created");
    const id = created.kind === "created" ? created.template.id : "";
    await store.updateRelayTemplate(DOMAIN, id, (t) => ({ mode: t.mode, startTime: null, endTime: null, description: "changed", protocolConversion: false }), new Date());
    await store.deleteRelayTemplate(DOMAIN, id);
    // A write that fails (duplicate) records nothing.
    await store.createRelayTemplate({ domain: DOMAIN, fields: fields("b"), maxPerDomain: 10, now: new Date() });
    expect((await store.createRelayTemplate({ domain: DOMAIN, fields: fields("b"), maxPerDomain: 10, now: new Date() })).kind).toBe("duplicate");
    await new Promise((r) => setImmediate(r));

    const events = (await store.outbox.eventsAfter(DOMAIN, 0, 100)).map((e) => e.event);
    expect(events.map((e) => e.type)).toEqual(["relay_template.created", "relay_template.updated", "relay_template.deleted", "relay_template.created"]);
    expect(JSON.stringify(events)).not.toMatch(/SECRET-KEY|token=abc/);
    expect(events[1].data).toMatchObject({ templateId: id, description: "changed", destination: "rtmp://a.example.com/live2/***?***" });
    expect(announced.map(([d]) => d)).toEqual([DOMAIN, DOMAIN, DOMAIN, DOMAIN]);
    // ids are unique and increase; the id names its sequence number.
    const seqs = events.map((e) => seqOfEventId(e.id)!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
    expect(eventIdOf(seqs[0])).toBe(events[0].id);
  });

  it("keeps events across a reopen and continues the sequence; pruning removes old ones and caps the count", async () => {
    const { store, file } = open();
    const at = (ms: number) => new Date(ms).toISOString();
    for (let i = 0; i < 5; i++) await store.outbox.appendEvent({ domain: DOMAIN, type: "snapshot.updated", occurredAt: at(1_000 * i), data: { appName: "a", streamName: "s", takenAt: at(0) } });
    await store.close();
    const again = open(file).store;
    const next = await again.outbox.appendEvent({ domain: "other.example.com", type: "snapshot.updated", occurredAt: at(10_000), data: {} });
    expect(next.seq).toBe(6);
    expect(await again.outbox.pruneEvents(at(2_000), 100)).toBe(2); // occurred before 2 s
    expect(await again.outbox.pruneEvents(at(0), 2)).toBe(2); // only the newest 2 stay
    expect((await again.outbox.eventsAfter(DOMAIN, 0, 10)).map((e) => e.seq)).toEqual([5]);
  });

  it("prunes a large outbox in chunks, by age and by count", async () => {
    const { store } = open();
    const at = (ms: number) => new Date(ms).toISOString();
    for (let i = 1; i <= 2_500; i++) store.outbox.insert({ domain: DOMAIN, type: "snapshot.updated", occurredAt: at(i * 1_000), data: {} });
    expect(await store.outbox.pruneEvents(at(2_100_500), 1_000_000)).toBe(2_100); // events 1..2100 occurred before
    expect(await store.outbox.pruneEvents(at(0), 150)).toBe(250); // only the newest 150 stay
    expect((await store.outbox.eventsAfter(DOMAIN, 0, 10_000)).map((e) => e.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 2_351 + i));
  });
});

describe("RefusalEvents", () => {
  it("reports one ingest.rejected per stream and reason per window, counting what it held back", () => {
    const emitted: { domain: string; data: Record<string, unknown> }[] = [];
    const sink: EventSink = { emit: (domain, _type, data) => void emitted.push({ domain, data: data as Record<string, unknown> }) };
    let now = 0;
    const refusals = new RefusalEvents(sink, () => now);
    const key = { domain: DOMAIN, appName: "live", streamName: "show" };
    for (let i = 0; i < 50; i++) refusals.refused(key, "srt", "Unauthorized", "auth_key mismatch", "127.0.0.1");
    refusals.refused(key, "srt", "Conflict", "stream is already being published", "127.0.0.1");
    now = 10_000;
    refusals.refused(key, "srt", "Unauthorized", "auth_key mismatch", "127.0.0.1");
    expect(emitted.map((e) => [e.data.reason, e.data.suppressed])).toEqual([
      ["Unauthorized", 0],
      ["Conflict", 0],
      ["Unauthorized", 49],
    ]);
  });

  it("caps the events of every stream together", () => {
    let count = 0;
    const refusals = new RefusalEvents({ emit: () => void count++ }, () => 0);
    for (let i = 0; i < 1_000; i++) refusals.refused({ domain: `d${i}.example.com`, appName: "live", streamName: "s" }, "rtmp", "Unauthorized", "auth_key missing", "127.0.0.1");
    expect(count).toBe(200);
  });
});
