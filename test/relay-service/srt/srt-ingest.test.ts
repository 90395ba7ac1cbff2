import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StreamHub } from "../../../relay-service/src/hub/stream-hub";
import { IngestAuthCache } from "../../../relay-service/src/ingest/ingest-auth-cache";
import { PublishGate, SRT_RESERVATION_MS } from "../../../relay-service/src/ingest/publish-gate";
import { srtPublishTarget } from "../../../relay-service/src/ingest/srt-ingest";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";
import type { IngestAuthRecord, Store } from "../../../relay-service/src/store/store";

const KEY = { domain: "shows.example.com", appName: "live", streamName: "show" };

describe("srtPublishTarget", () => {
  it.each([
    ["#!::h=shows.example.com,r=live/show,m=publish", { app: "live", streamName: "show", host: "shows.example.com" }],
    ["#!::r=/live/show?auth_key=abc,m=publish,u=alice,s=xyz", { app: "live", streamName: "show", host: undefined }],
    ["publish:live/show", { app: "live", streamName: "show", host: undefined }],
  ])("reads %s", (sid, expected) => {
    const r = srtPublishTarget(sid);
    expect(r.ok && { app: r.target.app, streamName: r.target.streamName, host: r.target.host }).toEqual(expected);
  });

  it("keeps the query of r (auth_key) for the gate", () => {
    const r = srtPublishTarget("#!::r=live/show?auth_key=1-2-3-abc,m=publish");
    expect(r.ok && r.target.query.get("auth_key")).toBe("1-2-3-abc");
  });

  it.each([
    ["#!::r=live/show,m=request", "BadMode"],
    ["#!::r=live/show", "BadMode"], // m defaults to request
    ["read:live/show", "BadMode"],
    ["#!::r=live,m=publish", "BadRequest"],
    ["#!::r=live/a/b,m=publish", "BadRequest"],
    ["live/show", "BadRequest"],
    ["", "BadRequest"],
  ])("refuses %j with %s", (sid, reason) => {
    expect(srtPublishTarget(sid)).toEqual({ ok: false, reason });
  });
});

function gateWith(records: IngestAuthRecord[]) {
  const store = {
    listIngestAuth: () => Promise.resolve(records),
    getIngestAuth: (domain: string) => Promise.resolve(records.find((r) => r.domain === domain) ?? null),
  } as unknown as Store;
  const cache = new IngestAuthCache(store);
  const hub = new StreamHub();
  const gate = new PublishGate({ ingestAuth: cache, hub, defaultDomain: "default", logger: pino({ level: "silent" }) });
  return { gate, hub, cache, records };
}

const target = (query = "") => ({ app: "live", streamName: "show", query: new URLSearchParams(query), host: "shows.example.com" });

describe("PublishGate for SRT (synchronous, from the in-memory ingest auth)", () => {
  afterEach(() => vi.useRealTimers());

  it("admits without ingest auth, reserving the key but not making it live", () => {
    const { gate, hub } = gateWith([]);
    expect(gate.admitSrt(target(), "127.0.0.1")).toMatchObject({ accept: true, key: KEY, srtPassphrase: null });
    expect(hub.isLive(KEY)).toBe(false);
    expect(hub.list()).toEqual([]);
  });

  it("checks auth_key from the cache and names the domain's passphrase; an API write applies after refresh()", async () => {
    const { gate, cache, records } = gateWith([]);
    await cache.load();
    const signed = `auth_key=${signAuthKey({ appName: "live", streamName: "show", key: "signing-key-0123456789", expiresAt: new Date(Date.now() + 60_000) })}`;
    records.push({ domain: KEY.domain, key: "signing-key-0123456789", srtPassphrase: "a passphrase", playKey: null, updatedAt: "" });
    expect(gate.admitSrt(target(), "127.0.0.1").accept).toBe(true); // not refreshed yet
    await cache.refresh(KEY.domain);
    expect(gate.admitSrt(target(), "127.0.0.1")).toMatchObject({ accept: false, code: "Unauthorized" });
    expect(gate.admitSrt(target(signed), "127.0.0.1")).toMatchObject({ accept: true, srtPassphrase: "a passphrase" });
  });

  it("refuses a live stream (Conflict), for SRT and RTMP alike", () => {
    const { gate, hub } = gateWith([]);
    hub.publish(KEY, "rtmp");
    expect(gate.admitSrt(target(), "127.0.0.1")).toMatchObject({ accept: false, code: "Conflict" });
    expect(gate.admitRtmp(target(), "127.0.0.1")).toMatchObject({ accept: false, code: "Conflict" });
  });

  it("a reservation keeps RTMP out until it lapses; another SRT caller renews it; the first SRT connection takes it", () => {
    vi.useFakeTimers();
    const { gate, hub } = gateWith([]);
    expect(gate.admitSrt(target(), "10.0.0.1").accept).toBe(true);
    expect(gate.admitRtmp(target(), "10.0.0.2")).toMatchObject({ accept: false, code: "Conflict" });
    expect(gate.admitSrt(target(), "10.0.0.3").accept).toBe(true); // not kept out by a caller that may never connect
    const stream = hub.publish(KEY, "srt", { fromReservation: true });
    expect(stream?.protocol).toBe("srt");
    expect(hub.publish(KEY, "srt", { fromReservation: true })).toBeNull(); // the second connection loses
    hub.unpublish(stream!);

    expect(gate.admitSrt(target(), "10.0.0.4").accept).toBe(true); // e.g. a wrong passphrase: never connects
    vi.advanceTimersByTime(SRT_RESERVATION_MS - 1);
    expect(gate.admitRtmp(target(), "10.0.0.2").accept).toBe(false);
    vi.advanceTimersByTime(2);
    const rtmp = gate.admitRtmp(target(), "10.0.0.2");
    expect(rtmp.accept && rtmp.claim.protocol).toBe("rtmp");
  });
});
