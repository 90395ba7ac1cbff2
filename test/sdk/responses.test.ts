import { describe, expect, it } from "vitest";
import { isKnownRelayStatus, ResponseValidationError } from "../../sdk/src";
import { api, caught, DOMAIN, template, TEMPLATES, testClient, useNock } from "./support";

// Responses as the SDK validates them: discriminated where a field decides the others, open
// where a newer service may add a value.

useNock();

const status = (over: Record<string, unknown>) => ({ templateId: "rt_abc", state: "waiting", restarts: 0, since: "2026-11-01T09:00:00Z", bitrateKbps: 0, fps: 0, bytesOut: 0, ...over });
const lastError = { code: "DestinationFailed", message: "connection refused", at: "2026-11-01T09:00:00Z" };

describe("relay status", () => {
  it("a state this SDK does not know validates, and is not taken for a known one", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status({ state: "paused-by-operator" }));
    const { client } = testClient();
    const s = await client.relayTemplates.status(DOMAIN, "rt_abc");
    expect(s.state).toBe("paused-by-operator");
    expect(isKnownRelayStatus(s)).toBe(false);
  });

  it("known states stay checked: `error` must say why", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status({ state: "error" }));
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status({ state: "error", lastError }));
    const { client } = testClient();
    const err = await caught(() => client.relayTemplates.status(DOMAIN, "rt_abc"));
    expect(err).toBeInstanceOf(ResponseValidationError);
    const s = await client.relayTemplates.status(DOMAIN, "rt_abc");
    expect(isKnownRelayStatus(s) && s.state === "error" && s.lastError.code).toBe("DestinationFailed");
  });

  it("relays.list accepts a mix of known and unknown states", async () => {
    api().get(`/v1/domains/${DOMAIN}/relays`).reply(200, { items: [status({}), status({ templateId: "rt_2", state: "draining" })] });
    const { client } = testClient();
    expect((await client.relays.list(DOMAIN)).items.map((s) => s.state)).toEqual(["waiting", "draining"]);
  });

  it("waitForState can wait for a state this SDK does not know", async () => {
    api().get(`${TEMPLATES}/rt_abc/status`).reply(200, status({ state: "draining" }));
    const { client } = testClient();
    expect((await client.relayTemplates.waitForState(DOMAIN, "rt_abc", "draining", { deadlineMs: 1_000 })).state).toBe("draining");
  });
});

describe("relay templates", () => {
  it("mode decides the window: a time template without startTime, or an always one with it, is refused", async () => {
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template({ mode: "time", startTime: null, endTime: "2026-11-01T10:00:00Z" }));
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template({ mode: "always", startTime: "2026-11-01T09:00:00Z" }));
    api().get(`${TEMPLATES}/rt_abc`).reply(200, template({ mode: "time", startTime: "2026-11-01T09:00:00Z", endTime: "2026-11-01T10:00:00Z" }));
    const { client } = testClient();
    expect(await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"))).toBeInstanceOf(ResponseValidationError);
    expect(await caught(() => client.relayTemplates.get(DOMAIN, "rt_abc"))).toBeInstanceOf(ResponseValidationError);
    const t = await client.relayTemplates.get(DOMAIN, "rt_abc");
    expect(t.mode === "time" && t.startTime).toBe("2026-11-01T09:00:00Z");
  });
});

describe("streams and recordings", () => {
  it("a protocol or a recording format a newer service added validates", async () => {
    const stream = { appName: "live", streamName: "keynote", protocol: "webrtc", videoCodec: null, audioCodec: null, width: null, height: null, bitrateKbps: 0, startedAt: "2026-11-01T09:00:00Z" };
    api().get(`/v1/domains/${DOMAIN}/streams`).reply(200, { items: [stream] });
    const recording = { id: "rec_1", appName: "live", streamName: "keynote", format: "mkv", startedAt: "2026-11-01T09:00:00Z", endedAt: null, durationSeconds: null, bytes: 0 };
    api().get(`/v1/domains/${DOMAIN}/recordings`).reply(200, { items: [recording], nextCursor: null });
    const { client } = testClient();
    expect((await client.streams.list(DOMAIN)).items[0].protocol).toBe("webrtc");
    expect((await client.recordings.list(DOMAIN)).items[0].format).toBe("mkv");
  });
});
