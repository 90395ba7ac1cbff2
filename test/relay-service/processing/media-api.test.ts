import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { DOMAIN, mediaApi } from "./support";

const video = { codec: "h264", height: 360, bitrateKbps: 800 };
const sd = { appName: "live", video, audio: { codec: "aac", bitrateKbps: 96 } };

describe("media processing API: configs, validation, OpenAPI", () => {
  let svc: ServiceHandle;
  let api: ReturnType<typeof mediaApi>;
  const d = `/v1/domains/${DOMAIN}`;

  beforeAll(async () => {
    svc = await startService();
    api = mediaApi(svc);
  });
  afterAll(() => svc?.stop());

  it("transcode templates: PUT creates then replaces (createdAt kept), GET, list, DELETE", async () => {
    const created = await api.putTemplate("sd", sd);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ domain: DOMAIN, id: "sd", appName: "live", video: { ...video, fps: null, gopSeconds: 2 }, audio: { codec: "aac", bitrateKbps: 96 } });
    const replaced = await api.putTemplate("sd", { ...sd, video: { ...video, fps: 25, gopSeconds: 4 }, audio: null });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ video: { fps: 25, gopSeconds: 4 }, audio: null, createdAt: created.body.createdAt });
    expect((await api.call("GET", `${d}/transcode-templates/sd`)).body).toEqual(replaced.body);
    await api.putTemplate("hd-2", { ...sd, video: { ...video, height: 720, bitrateKbps: 2500 } });
    expect((await api.call("GET", `${d}/transcode-templates`)).body.items.map((t: { id: string }) => t.id)).toEqual(["hd-2", "sd"]);
    expect((await api.call("DELETE", `${d}/transcode-templates/hd-2`)).status).toBe(204);
    const gone = await api.call("DELETE", `${d}/transcode-templates/hd-2`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("NotFound");
    expect((await api.call("GET", `${d}/transcode-templates/hd-2`)).status).toBe(404);
  });

  it.each([
    ["odd height", { ...sd, video: { ...video, height: 361 } }, "video.height", /even/],
    ["height too small", { ...sd, video: { ...video, height: 100 } }, "video.height", /144 and 2160/],
    ["video bitrate out of range", { ...sd, video: { ...video, bitrateKbps: 50_000 } }, "video.bitrateKbps", /100 and 20000/],
    ["fps out of range", { ...sd, video: { ...video, fps: 120 } }, "video.fps", /1 and 60/],
    ["gop out of range", { ...sd, video: { ...video, gopSeconds: 11 } }, "video.gopSeconds", /1 and 10/],
    ["audio bitrate out of range", { ...sd, audio: { codec: "aac", bitrateKbps: 16 } }, "audio.bitrateKbps", /32 and 320/],
    ["unknown field", { ...sd, preset: "slow" }, "preset", /unknown field/],
    ["unknown nested field", { ...sd, video: { ...video, crf: 23 } }, "crf", /unknown field/],
    ["other codec", { ...sd, video: { ...video, codec: "hevc" } }, "video.codec", /h264/],
    ["missing audio", { appName: "live", video }, "audio", /required/],
  ])("transcode template: %s → 400 naming the field", async (_name, body, field, message) => {
    const res = await api.putTemplate("sd", body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "BadRequest", field });
    expect(res.body.error.message).toMatch(message);
  });

  it("template ids are 1-32 letters, digits or '-'", async () => {
    expect((await api.putTemplate("sd_low", sd)).body.error.field).toBe("templateId");
    expect((await api.putTemplate("x".repeat(33), sd)).status).toBe(400);
  });

  it("snapshot config: keep defaults to 1; bounds; GET and DELETE 404 when absent", async () => {
    expect((await api.call("GET", `${d}/apps/live/snapshot-config`)).status).toBe(404);
    const set = await api.setSnapshots("live", { intervalSeconds: 5 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ domain: DOMAIN, appName: "live", intervalSeconds: 5, keep: 1 });
    expect((await api.call("GET", `${d}/apps/live/snapshot-config`)).body).toEqual(set.body);
    expect((await api.setSnapshots("live", { intervalSeconds: 0 })).body.error.field).toBe("intervalSeconds");
    expect((await api.setSnapshots("live", { intervalSeconds: 5, keep: 1001 })).body.error.field).toBe("keep");
    expect((await api.call("DELETE", `${d}/apps/live/snapshot-config`)).status).toBe(204);
    expect((await api.call("DELETE", `${d}/apps/live/snapshot-config`)).status).toBe(404);
  });

  it("no snapshot yet → 404 JSON", async () => {
    const res = await api.call("GET", `${d}/streams/live/nobody/snapshot.jpg`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body.error.code).toBe("NotFound");
  });

  it("recording config: formats and segment bounds", async () => {
    const set = await api.setRecording("live", { format: "hls", segmentSeconds: 10 });
    expect(set.body).toMatchObject({ appName: "live", format: "hls", segmentSeconds: 10 });
    expect((await api.setRecording("live", { format: "mkv", segmentSeconds: 10 })).body.error.field).toBe("format");
    expect((await api.setRecording("live", { format: "mp4", segmentSeconds: 9 })).body.error.field).toBe("segmentSeconds");
    expect((await api.setRecording("live", { format: "mp4", segmentSeconds: 21_601 })).body.error.field).toBe("segmentSeconds");
    expect((await api.call("DELETE", `${d}/apps/live/recording-config`)).status).toBe(204);
  });

  it("recordings: empty list, bad cursor, unknown id", async () => {
    expect((await api.call("GET", `${d}/recordings`)).body).toEqual({ items: [], nextCursor: null });
    expect((await api.call("GET", `${d}/recordings?cursor=no%20pe`)).body.error.field).toBe("cursor");
    expect((await api.call("GET", `${d}/recordings?limit=0`)).body.error.field).toBe("limit");
    expect((await api.call("GET", `${d}/recordings/rec_x/file`)).status).toBe(404);
    expect((await api.call("DELETE", `${d}/recordings/rec_x`)).status).toBe(404);
  });

  it("the OpenAPI document has every route and the schemas", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body;
    for (const p of [
      "/v1/domains/{domain}/transcode-templates/{templateId}",
      "/v1/domains/{domain}/transcode-templates",
      "/v1/domains/{domain}/apps/{appName}/snapshot-config",
      "/v1/domains/{domain}/apps/{appName}/recording-config",
      "/v1/domains/{domain}/streams/{appName}/{streamName}/snapshot.jpg",
      "/v1/domains/{domain}/recordings",
      "/v1/domains/{domain}/recordings/{id}/file",
      "/v1/domains/{domain}/recordings/{id}/files/{name}",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["TranscodeTemplateSet", "TranscodeTemplate", "SnapshotConfigSet", "RecordingConfigSet", "Recording", "RecordingList"]));
  });
});
