import { describe, expect, it } from "vitest";
import { StreamHub } from "../../../relay-service/src/hub/stream-hub";

const KEY = { domain: "shows.example.com", appName: "live", streamName: "show" };

describe("StreamHub publisher takeover", () => {
  it("without takeover the first publisher keeps the key", () => {
    const hub = new StreamHub();
    const first = hub.publish(KEY, "rtmp")!;
    expect(hub.publish(KEY, "rtmp")).toBeNull();
    expect(hub.get(KEY)).toBe(first);
  });

  it("with takeover the live stream is hung up and ended (stream-end before stream-start), the new one holds the key", () => {
    const hub = new StreamHub();
    const events: string[] = [];
    hub.on("stream-start", () => events.push("start"));
    hub.on("stream-end", () => events.push("end"));
    const first = hub.publish(KEY, "rtmp")!;
    let hungUp = 0;
    first.setPublisherHangUp(() => hungUp++);
    const second = hub.publish(KEY, "rtmp", { takeover: true })!;
    expect(hungUp).toBe(1);
    expect(first.isLive).toBe(false);
    expect(hub.get(KEY)).toBe(second);
    expect(events).toEqual(["start", "end", "start"]);
    hub.unpublish(first); // the old session's own end arrives later: it must not end the new stream
    expect(hub.get(KEY)).toBe(second);
  });

  it("a publisher whose hang-up arrives after it was taken over is hung up at once", () => {
    const hub = new StreamHub();
    const first = hub.publish(KEY, "rtmp")!;
    hub.publish(KEY, "rtmp", { takeover: true });
    let hungUp = 0;
    first.setPublisherHangUp(() => hungUp++);
    expect(hungUp).toBe(1);
  });

  it("SRT: a takeover reservation over a live key ends the live stream only when the connection arrives", () => {
    const hub = new StreamHub();
    const first = hub.publish(KEY, "srt")!;
    expect(hub.reserve(KEY, 3_000)).toBe(false);
    expect(hub.reserve(KEY, 3_000, { takeover: true })).toBe(true);
    expect(first.isLive).toBe(true); // the handshake may still fail on the passphrase
    expect(hub.publish(KEY, "rtmp", { takeover: true })).toBeNull(); // the reservation holds the key
    const second = hub.publish(KEY, "srt", { fromReservation: true })!;
    expect(first.isLive).toBe(false);
    expect(hub.get(KEY)).toBe(second);
  });

  it("SRT: a connection whose reservation was made without takeover is still refused while the key is live", () => {
    const hub = new StreamHub();
    hub.publish(KEY, "srt");
    hub.reserve(KEY, 3_000);
    expect(hub.publish(KEY, "srt", { fromReservation: true })).toBeNull();
  });
});
