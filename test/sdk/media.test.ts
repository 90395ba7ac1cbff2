import nock from "nock";
import { describe, expect, it } from "vitest";
import { ApiError, BadRequestError, ConflictError, NotFoundError, ResponseValidationError, type ProcessingWorker, type Recording } from "../../sdk/src";
import { api, BASE, caught, DOMAIN, errorBody, expectNoSecrets, testClient, TOKEN, useNock } from "./support";

useNock();

const D = `/v1/domains/${DOMAIN}`;
const template = (over: Record<string, unknown> = {}) => ({
  domain: DOMAIN,
  id: "sd",
  appName: "live",
  video: { codec: "h264", height: 360, bitrateKbps: 800, fps: null, gopSeconds: 2 },
  audio: { codec: "aac", bitrateKbps: 96 },
  createdAt: "2026-11-01T09:00:00Z",
  updatedAt: "2026-11-01T09:00:00Z",
  ...over,
});
const recording = (id: string): Recording => ({
  id,
  appName: "live",
  streamName: "keynote",
  format: "mp4",
  startedAt: "2026-11-01T09:00:00Z",
  endedAt: "2026-11-01T09:10:00Z",
  durationSeconds: 600.02,
  bytes: 123_456,
});

describe("transcodeTemplates", () => {
  it("put sends PUT with the body and returns the parsed template; get, list, delete", async () => {
    const input = { appName: "live", video: { codec: "h264" as const, height: 360, bitrateKbps: 800 }, audio: { codec: "aac" as const, bitrateKbps: 96 } };
    const put = api().put(`${D}/transcode-templates/sd`, input).reply(200, template());
    const get = api().get(`${D}/transcode-templates/sd`).reply(200, template());
    const list = api().get(`${D}/transcode-templates`).reply(200, { items: [template()] });
    const del = api().delete(`${D}/transcode-templates/sd`).reply(204);
    const { client } = testClient();
    expect(await client.transcodeTemplates.put(DOMAIN, "sd", input)).toEqual(template());
    expect(await client.transcodeTemplates.get(DOMAIN, "sd")).toEqual(template());
    expect(await client.transcodeTemplates.list(DOMAIN)).toEqual({ items: [template()] });
    expect(await client.transcodeTemplates.delete(DOMAIN, "sd")).toBeUndefined();
    expect(put.isDone() && get.isDone() && list.isDone() && del.isDone()).toBe(true);
  });

  it("a 400 naming the field is a BadRequestError; PUT is retried (idempotent)", async () => {
    api().put(`${D}/transcode-templates/sd`).reply(503).put(`${D}/transcode-templates/sd`).reply(400, errorBody("BadRequest", "video.height must be even", "video.height"));
    const { client, sleeps } = testClient();
    const err = await caught(() => client.transcodeTemplates.put(DOMAIN, "sd", { appName: "live", video: { codec: "h264", height: 361, bitrateKbps: 800 }, audio: null }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).field).toBe("video.height");
    expect(sleeps).toHaveLength(1);
  });

  it("refuses an empty template id before any request", async () => {
    const { client } = testClient();
    await expect(client.transcodeTemplates.get(DOMAIN, "")).rejects.toThrow("templateId must be a non-empty string");
  });
});

describe("snapshotConfig and recordingConfig", () => {
  const snapshot = { domain: DOMAIN, appName: "live", intervalSeconds: 5, keep: 1, updatedAt: "2026-11-01T09:00:00Z" };
  const rec = { domain: DOMAIN, appName: "live", format: "hls", segmentSeconds: 60, updatedAt: "2026-11-01T09:00:00Z" };

  it("set / get / delete on …/apps/{app}/snapshot-config and …/recording-config", async () => {
    api()
      .put(`${D}/apps/live/snapshot-config`, { intervalSeconds: 5 })
      .reply(200, snapshot)
      .get(`${D}/apps/live/snapshot-config`)
      .reply(200, snapshot)
      .delete(`${D}/apps/live/snapshot-config`)
      .reply(204)
      .put(`${D}/apps/live/recording-config`, { format: "hls", segmentSeconds: 60 })
      .reply(200, rec)
      .get(`${D}/apps/live/recording-config`)
      .reply(404, errorBody("NotFound", "app live has no recording config in this domain"))
      .delete(`${D}/apps/live/recording-config`)
      .reply(204);
    const { client } = testClient();
    expect(await client.snapshotConfig.set(DOMAIN, "live", { intervalSeconds: 5 })).toEqual(snapshot);
    expect(await client.snapshotConfig.get(DOMAIN, "live")).toEqual(snapshot);
    await client.snapshotConfig.delete(DOMAIN, "live");
    expect(await client.recordingConfig.set(DOMAIN, "live", { format: "hls", segmentSeconds: 60 })).toEqual(rec);
    expect(await caught(() => client.recordingConfig.get(DOMAIN, "live"))).toBeInstanceOf(NotFoundError);
    await client.recordingConfig.delete(DOMAIN, "live");
    expect(nock.isDone()).toBe(true);
  });

  it("latest returns the JPEG bytes as a Buffer; none yet is a NotFoundError", async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0xff, 0xd9]);
    api().get(`${D}/streams/live/key%20note/snapshot.jpg`).reply(200, jpeg, { "content-type": "image/jpeg" });
    api().get(`${D}/streams/live/other/snapshot.jpg`).reply(404, errorBody("NotFound", "no snapshot of live/other yet"));
    const { client } = testClient();
    const got = await client.snapshotConfig.latest(DOMAIN, "live", "key note");
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(jpeg)).toBe(true);
    const err = await caught(() => client.snapshotConfig.latest(DOMAIN, "live", "other"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toContain("no snapshot of live/other yet");
  });
});

describe("recordings", () => {
  it("list sends filters and paging; listAll follows nextCursor", async () => {
    api()
      .get(`${D}/recordings`)
      .query({ streamName: "keynote", limit: "1" })
      .reply(200, { items: [recording("rec_1")], nextCursor: "c1" })
      .get(`${D}/recordings`)
      .query({ streamName: "keynote", limit: "1", cursor: "c1" })
      .reply(200, { items: [recording("rec_2")], nextCursor: null });
    const { client } = testClient();
    const seen: string[] = [];
    for await (const r of client.recordings.listAll(DOMAIN, { streamName: "keynote", limit: 1 })) seen.push(r.id);
    expect(seen).toEqual(["rec_1", "rec_2"]);
    expect(nock.isDone()).toBe(true);
  });

  it("download returns the bytes; a range is sent as Range and answered 206", async () => {
    const file = Buffer.alloc(1000, 1);
    nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}`, accept: "*/*" } })
      .get(`${D}/recordings/rec_1/file`)
      .reply(200, file, { "content-type": "video/mp4" });
    nock(BASE, { reqheaders: { range: "bytes=100-199" } })
      .get(`${D}/recordings/rec_1/file`)
      .reply(206, file.subarray(100, 200), { "content-type": "video/mp4", "content-range": "bytes 100-199/1000" });
    nock(BASE, { reqheaders: { range: "bytes=900-" } })
      .get(`${D}/recordings/rec_1/file`)
      .reply(206, file.subarray(900), { "content-range": "bytes 900-999/1000" });
    const { client } = testClient();
    const whole = await client.recordings.download(DOMAIN, "rec_1");
    expect(whole).toMatchObject({ status: 200, contentType: "video/mp4" });
    expect(whole.data.equals(file)).toBe(true);
    const part = await client.recordings.download(DOMAIN, "rec_1", { range: { start: 100, end: 199 } });
    expect(part).toMatchObject({ status: 206, contentRange: "bytes 100-199/1000" });
    expect(part.data.length).toBe(100);
    expect((await client.recordings.download(DOMAIN, "rec_1", { range: { start: 900 } })).data.length).toBe(100);
  });

  it("a 416 is an ApiError with the service's code; errors carry no secrets", async () => {
    api().get(`${D}/recordings/rec_1/file`).reply(416, errorBody("RangeNotSatisfiable", "the requested range is not satisfiable: the file has 1000 bytes", "Range"));
    const { client } = testClient();
    const err = await caught(() => client.recordings.download(DOMAIN, "rec_1", { range: { start: 5000 } }));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(416);
    expect((err as ApiError).code).toBe("RangeNotSatisfiable");
    expectNoSecrets(err);
  });

  it("delete: 204, or ConflictError while the recording is being written", async () => {
    api().delete(`${D}/recordings/rec_1`).reply(204).delete(`${D}/recordings/rec_2`).reply(409, errorBody("Conflict", "the recording is still being written"));
    const { client } = testClient();
    expect(await client.recordings.delete(DOMAIN, "rec_1")).toBeUndefined();
    expect(await caught(() => client.recordings.delete(DOMAIN, "rec_2"))).toBeInstanceOf(ConflictError);
  });
});

const worker = { appName: "live", streamName: "key note", restarts: 1, since: "2026-11-01T09:00:05Z" };
const workers: ProcessingWorker[] = [
  { ...worker, kind: "transcoder", id: "transcoder:live/key note:sd", templateId: "sd", state: "running", stats: { fps: 30, bitrateKbps: 812.4 } },
  { ...worker, kind: "snapshotter", id: "snapshotter:live/key note", state: "starting", stats: { lastSnapshotAt: null } },
  {
    ...worker,
    kind: "recorder",
    id: "recorder:live/key note",
    state: "retrying",
    lastError: { code: "Stalled", message: "no output for 10 s while the stream is live; restarting", at: "2026-11-01T09:00:04Z" },
    stats: { fileId: "rec_1", bytesWritten: 123_456, lastWriteAt: "2026-11-01T09:00:03Z" },
  },
];

describe("processing", () => {
  it("list: GET …/processing, each worker parsed with its kind's stats", async () => {
    const scope = api().get(`${D}/processing`).reply(200, { items: workers });
    const { client } = testClient();
    const got = await client.processing.list(DOMAIN);
    expect(got).toEqual({ items: workers });
    const recorder = got.items.find((w) => w.kind === "recorder");
    expect(recorder?.kind === "recorder" && recorder.stats.bytesWritten).toBe(123_456);
    expect(scope.isDone()).toBe(true);
  });

  it("forStream: GET …/streams/{app}/{stream}/processing, names encoded", async () => {
    const scope = api().get(`${D}/streams/live/key%20note/processing`).reply(200, { items: workers.slice(0, 1) });
    const { client } = testClient();
    expect(await client.processing.forStream(DOMAIN, "live", "key note")).toEqual({ items: workers.slice(0, 1) });
    expect(scope.isDone()).toBe(true);
  });

  it("a worker whose stats do not match its kind is a ResponseValidationError", async () => {
    api().get(`${D}/processing`).reply(200, { items: [{ ...workers[0], stats: { lastSnapshotAt: null } }] });
    const { client } = testClient();
    expect(await caught(() => client.processing.list(DOMAIN))).toBeInstanceOf(ResponseValidationError);
  });

  it("refuses an empty stream name before any request", async () => {
    const { client } = testClient();
    await expect(client.processing.forStream(DOMAIN, "live", "")).rejects.toThrow("streamName must be a non-empty string");
  });
});
