import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ResponseValidationError, type ProcessingWorker } from "../../sdk/src";
import { api, caught, DOMAIN, testClient } from "./support";

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

const D = `/v1/domains/${DOMAIN}`;
const common = { appName: "live", streamName: "key note", restarts: 1, since: "2026-11-01T09:00:05Z" };
const workers: ProcessingWorker[] = [
  { ...common, kind: "transcoder", id: "transcoder:live/key note:sd", templateId: "sd", state: "running", stats: { fps: 30, bitrateKbps: 812.4 } },
  { ...common, kind: "snapshotter", id: "snapshotter:live/key note", state: "starting", stats: { lastSnapshotAt: null } },
  {
    ...common,
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
