import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../../sdk/src";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { killAllSpawned, startFfmpegPublisher, waitFor } from "../../helpers/media";

describe("GET /v1/domains", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(() => svc?.stop());
  afterEach(() => killAllSpawned());

  it("is empty on a fresh service and needs the token", async () => {
    expect((await call("GET", "/v1/domains")).body).toEqual({ items: [] });
    expect((await fetch(`${svc.url}/v1/domains`)).status).toBe(401);
  });

  it("lists every domain with configuration or a live stream, sorted, with template and live counts", async () => {
    const template = { appName: "live", streamName: "show", destinationUrl: "rtmp://127.0.0.1:9/sink/key", mode: "always" };
    expect((await call("POST", "/v1/domains/b-templates.example.com/relay-templates", template)).status).toBe(201);
    expect((await call("POST", "/v1/domains/b-templates.example.com/relay-templates", { ...template, streamName: "other" })).status).toBe(201);
    expect((await call("PUT", "/v1/domains/c-settings.example.com/ingest-settings", { publisherTakeover: true })).status).toBe(200);
    expect((await call("PUT", "/v1/domains/a-snapshots.example.com/apps/live/snapshot-config", { intervalSeconds: 5, keep: 3 })).status).toBe(200);
    startFfmpegPublisher(`rtmp://127.0.0.1:${String(svc.ready.rtmpPort)}/live/cam?vhost=d-live.example.com`, { durationSec: 20, size: "160x90" });
    await waitFor(async () => (await call("GET", "/v1/domains/d-live.example.com/streams")).body.items.length === 1, { timeoutMs: 20_000, what: "the stream to be live" });

    const { body } = await call("GET", "/v1/domains");
    expect(body).toEqual({
      items: [
        { domain: "a-snapshots.example.com", relayTemplates: 0, liveStreams: 0 },
        { domain: "b-templates.example.com", relayTemplates: 2, liveStreams: 0 },
        { domain: "c-settings.example.com", relayTemplates: 0, liveStreams: 0 },
        { domain: "d-live.example.com", relayTemplates: 0, liveStreams: 1 },
      ],
    });
    // The SDK reads the same list, validated by its schema.
    expect(await createClient({ baseUrl: svc.url, token: svc.token }).domains.list()).toEqual(body);
  });
});
