import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type DomainEvent } from "../../../sdk/src";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, waitFor } from "../../helpers/relay";

const DOMAIN = "emitters.example.com";
const SECURED = "secured-events.example.com";
const INGEST_KEY = "ingest-signing-key-0123456789";

describe("events emitted where things happen (recorder, snapshotter, publish gate)", () => {
  let svc: ServiceHandle;
  const seen: DomainEvent[] = [];
  const abort = new AbortController();
  let reading: Promise<void>;

  beforeAll(async () => {
    svc = await startService();
    const client = createClient({ baseUrl: svc.url, token: svc.token });
    const tail = async (domain: string) => {
      for await (const e of client.events.stream(domain, { signal: abort.signal })) seen.push(e);
    };
    reading = Promise.all([tail(DOMAIN), tail(SECURED)]).then(() => {});
    await new Promise((r) => setTimeout(r, 500)); // both tails connected
  });
  afterAll(async () => {
    abort.abort();
    await reading;
    await svc?.stop();
  });

  it("recording.started/completed and snapshot.updated for a real publish", async () => {
    const call = apiClient(svc);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/apps/live/recording-config`, { format: "mp4", segmentSeconds: 60 })).status).toBe(200);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/apps/live/snapshot-config`, { intervalSeconds: 1, keep: 2 })).status).toBe(200);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/cam?vhost=${DOMAIN}`, { seconds: 4 });
    await waitFor("snapshot.updated", () => seen.some((e) => e.type === "snapshot.updated"), 40_000);
    await publisher.exited;
    const completed = await waitFor("recording.completed", () => seen.find((e) => e.type === "recording.completed"), 40_000);
    const types = seen.filter((e) => e.domain === DOMAIN).map((e) => e.type);
    expect(types.indexOf("stream.started")).toBeLessThan(types.indexOf("recording.started"));
    expect(types.indexOf("recording.started")).toBeLessThan(types.indexOf("recording.completed"));
    if (completed.type !== "recording.completed") throw new Error("narrowing");
    expect(completed.data).toMatchObject({ appName: "live", streamName: "cam", format: "mp4" });
    expect(completed.data.bytes).toBeGreaterThan(0);
    expect(completed.data.durationSeconds).toBeGreaterThan(0);
    const listed = await call("GET", `/v1/domains/${DOMAIN}/recordings`);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(completed.data.recordingId);
  });

  it("ingest.rejected with the reason and no key, once per stream and reason per window", async () => {
    const call = apiClient(svc);
    expect((await call("PUT", `/v1/domains/${SECURED}/ingest-auth`, { key: INGEST_KEY })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const p = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/show?vhost=${SECURED}&auth_key=1-2-3-badbadbadbad`, { seconds: 2 });
      await p.exited;
    }
    const rejected = await waitFor("ingest.rejected", () => seen.find((e) => e.type === "ingest.rejected"), 30_000);
    expect(rejected).toMatchObject({ domain: SECURED, data: { appName: "live", streamName: "show", protocol: "rtmp", reason: "Unauthorized", remoteAddress: "127.0.0.1" } });
    expect(JSON.stringify(seen)).not.toContain("badbadbadbad");
    expect(JSON.stringify(seen)).not.toContain(INGEST_KEY);
    expect(seen.filter((e) => e.type === "ingest.rejected")).toHaveLength(1);
  });
});
