import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient, type LiveRelayClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { loadProviderPackage, sleep } from "./support";

// The TranscodeTemplate, SnapshotConfig and RecordingConfig providers' methods called directly
// (the built package: `npx tsc -b sdk provider` first), against the real service.

const pkg = loadProviderPackage();
const transcode = pkg.transcodeTemplateProvider;
const snapshot = pkg.snapshotConfigProvider;
const recording = pkg.recordingConfigProvider;
type TInputs = import("@liverelay/pulumi").TranscodeTemplateInputs;
type TOutputs = import("@liverelay/pulumi").TranscodeTemplateOutputs;
type SInputs = import("@liverelay/pulumi").SnapshotConfigInputs;
type SOutputs = import("@liverelay/pulumi").SnapshotConfigOutputs;
type RInputs = import("@liverelay/pulumi").RecordingConfigInputs;
type ROutputs = import("@liverelay/pulumi").RecordingConfigOutputs;

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const DOMAIN = "shows.example.com";

const sd = (over: Partial<TInputs> = {}): TInputs => ({
  domain: DOMAIN,
  templateId: "sd",
  appName: "live",
  video: { codec: "h264", height: 360, bitrateKbps: 800 },
  audio: { codec: "aac", bitrateKbps: 96 },
  ...over,
});
const snap = (over: Partial<SInputs> = {}): SInputs => ({ domain: DOMAIN, appName: "live", intervalSeconds: 10, ...over });
const rec = (over: Partial<RInputs> = {}): RInputs => ({ domain: DOMAIN, appName: "live", format: "mp4", segmentSeconds: 600, ...over });

const configure = (endpoint?: string, token?: string) =>
  transcode.configure!({
    config: {
      get: (k: string) => ({ "liverelay:endpoint": endpoint, "liverelay:token": token })[k],
      require: () => {
        throw new Error("not used");
      },
    },
  });

const byProperty = (failures: { property: string; reason: string }[] | undefined) => Object.fromEntries((failures ?? []).map((f) => [f.property, f.reason]));
/** `property: reason` of each failure. */
const reasons = (failures: { property: string; reason: string }[] | undefined) => (failures ?? []).map((f) => `${f.property}: ${f.reason}`);

describe("check", () => {
  it("accepts valid inputs and fills in the service's defaults", async () => {
    const t = await transcode.check!({} as TInputs, sd({ audio: undefined as never }));
    expect(t.failures).toEqual([]);
    expect(t.inputs).toEqual({ ...sd(), video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 }, audio: null });
    // fps: null is "the source's rate" (absent); an explicit gopSeconds is kept.
    const t2 = await transcode.check!({} as TInputs, sd({ video: { codec: "h264", height: 720, bitrateKbps: 2500, fps: null as never, gopSeconds: 4 } }));
    expect(t2.inputs!.video).toEqual({ codec: "h264", height: 720, bitrateKbps: 2500, gopSeconds: 4 });

    const s = await snapshot.check!({} as SInputs, snap());
    expect(s).toEqual({ inputs: { ...snap(), keep: 1 }, failures: [] });
    expect((await snapshot.check!({} as SInputs, snap({ keep: 30 }))).inputs!.keep).toBe(30);
    expect(await recording.check!({} as RInputs, rec({ format: "hls" }))).toEqual({ inputs: rec({ format: "hls" }), failures: [] });
  });

  it("reports each problem on its property, nested fields named in the reason, in the service's words", async () => {
    const t = await transcode.check!({} as TInputs, {
      domain: "Shows.example.com",
      templateId: "s d",
      appName: "li ve",
      video: { codec: "h265", height: 361, bitrateKbps: 50, fps: 2.5, framerate: 30 } as never,
      audio: { codec: "aac" } as never,
    });
    // The engine (3.248) takes a failure's property as a top-level name: nested fields go in the reason.
    expect(reasons(t.failures).sort()).toEqual(
      [
        "domain: domain must be lowercase",
        "templateId: templateId must be 1-32 letters, digits or '-'",
        "appName: appName may contain only letters, digits, '_', '-' and '.'",
        'video: video.codec must be "h264"',
        "video: video.height must be even",
        "video: video.bitrateKbps must be between 100 and 20000 kbit/s",
        "video: video.fps must be a whole number",
        "video: video.framerate is not a known field",
        "audio: audio.bitrateKbps is required",
      ].sort(),
    );
    expect(byProperty((await transcode.check!({} as TInputs, { domain: DOMAIN } as TInputs)).failures)).toEqual({
      templateId: "templateId is required",
      appName: "appName is required",
      video: "video is required",
    });
    expect(byProperty((await transcode.check!({} as TInputs, sd({ video: "720p" as never }))).failures)).toEqual({ video: "video has the wrong type: expected object" });

    expect(byProperty((await snapshot.check!({} as SInputs, snap({ intervalSeconds: 0, keep: 1.5 }))).failures)).toEqual({
      intervalSeconds: "intervalSeconds must be between 1 and 3600 seconds",
      keep: "keep must be a whole number",
    });
    expect(byProperty((await recording.check!({} as RInputs, { domain: DOMAIN, appName: "", format: "mkv" } as never)).failures)).toEqual({
      appName: "appName must not be empty",
      format: 'format must be "mp4", "flv" or "hls"',
      segmentSeconds: "segmentSeconds is required",
    });
  });

  it("tolerates unknown values during preview, also nested ones", async () => {
    const all = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, UNKNOWN])) as never;
    expect((await transcode.check!({} as TInputs, all(["domain", "templateId", "appName", "video", "audio"]))).failures).toEqual([]);
    expect((await snapshot.check!({} as SInputs, all(["domain", "appName", "intervalSeconds", "keep"]))).failures).toEqual([]);
    expect((await recording.check!({} as RInputs, all(["domain", "appName", "format", "segmentSeconds"]))).failures).toEqual([]);
    const partly = await transcode.check!({} as TInputs, sd({ templateId: UNKNOWN, video: { codec: "h264", height: UNKNOWN as never, bitrateKbps: 7 } }));
    expect(reasons(partly.failures)).toEqual(["video: video.bitrateKbps must be between 100 and 20000 kbit/s"]);
    expect(partly.inputs!.video).toEqual({ codec: "h264", height: UNKNOWN, bitrateKbps: 7, gopSeconds: 2 });
    // An unknown video gets no default (it is not known to be absent).
    expect((await transcode.check!({} as TInputs, sd({ video: UNKNOWN as never }))).inputs!.video).toBe(UNKNOWN);
  });
});

describe("diff", () => {
  const tOld = (over: Partial<TOutputs> = {}): TOutputs => ({
    ...sd(),
    video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 },
    createdAt: "x",
    updatedAt: "x",
    ...over,
  });
  const tDiff = async (news: TInputs, olds: TOutputs = tOld()) => transcode.diff!(`${DOMAIN}/sd`, olds, (await transcode.check!(olds, news)).inputs!);

  it("no changes: defaults left out, null and absent", async () => {
    expect(await tDiff(sd())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await tDiff(sd({ video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 } }))).toMatchObject({ changes: false });
    expect(await tDiff(sd({ audio: null }), tOld({ audio: null }))).toMatchObject({ changes: false });
    expect(await tDiff(sd({ audio: undefined as never }), tOld({ audio: null }))).toMatchObject({ changes: false });
    expect(await tDiff({ ...sd(), __provider: "shim" } as never, { ...tOld(), __provider: "shim" } as never)).toMatchObject({ changes: false });
    const sOld: SOutputs = { ...snap(), keep: 1, updatedAt: "x" };
    expect(await snapshot.diff!(`${DOMAIN}/live`, sOld, (await snapshot.check!(sOld, snap())).inputs!)).toMatchObject({ changes: false, replaces: [] });
    const rOld: ROutputs = { ...rec(), updatedAt: "x" };
    expect(await recording.diff!(`${DOMAIN}/live`, rOld, rec())).toMatchObject({ changes: false, replaces: [] });
  });

  it("everything but the identity updates in place", async () => {
    expect(await tDiff(sd({ video: { codec: "h264", height: 360, bitrateKbps: 1200 } }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await tDiff(sd({ video: { codec: "h264", height: 360, bitrateKbps: 800, fps: 30 } }))).toMatchObject({ changes: true, replaces: [] });
    expect(await tDiff(sd({ appName: "studio", audio: null }))).toMatchObject({ changes: true, replaces: [] });
    expect(await tDiff(sd({ video: { codec: "h264", height: UNKNOWN as never, bitrateKbps: 800 } }))).toMatchObject({ changes: true, replaces: [] });
    const sOld: SOutputs = { ...snap(), keep: 1, updatedAt: "x" };
    expect(await snapshot.diff!("x", sOld, { ...snap(), keep: 5 })).toMatchObject({ changes: true, replaces: [] });
    expect(await recording.diff!("x", { ...rec(), updatedAt: "x" }, rec({ format: "flv", segmentSeconds: 60 }))).toMatchObject({ changes: true, replaces: [] });
  });

  it("a state written before the shim (another `__provider`) updates once, in place", async () => {
    expect(await tDiff({ ...sd(), __provider: pkg.providerShim("TranscodeTemplate") } as never, { ...tOld(), __provider: "exports.handler = __f0; …" } as never)).toEqual({
      changes: true, replaces: [], deleteBeforeReplace: false,
    });
  });

  it("another endpoint, and replaceOnChanges, replace", async () => {
    const old = { ...tOld(), endpoint: "http://a.example:8080" };
    const unchanged = sd({ video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 } });
    expect(await transcode.diff!("x", old, { ...unchanged, endpoint: "http://b.example:8080" } as never)).toMatchObject({ changes: true, replaces: ["endpoint"] });
    expect(await transcode.diff!("x", old, { ...unchanged, endpoint: "http://a.example:8080" } as never)).toMatchObject({ changes: false, replaces: [] });
    // A state from before the endpoint was recorded: not a change.
    expect(await transcode.diff!("x", tOld(), { ...unchanged, endpoint: "http://b.example:8080" } as never)).toMatchObject({ changes: false });
    const bitrate = sd({ video: { codec: "h264", height: 360, bitrateKbps: 1200, gopSeconds: 2 } });
    expect(await transcode.diff!("x", tOld(), { ...bitrate, __replaceOnChanges: ["video"] } as never)).toMatchObject({ changes: true, replaces: ["video"] });
    expect(await transcode.diff!("x", tOld(), { ...bitrate, __replaceOnChanges: ["*"] } as never)).toMatchObject({ changes: true, replaces: ["video"] });
    expect(await transcode.diff!("x", tOld(), { ...bitrate, __replaceOnChanges: ["audio"] } as never)).toMatchObject({ changes: true, replaces: [] });
  });

  it("identity fields replace, the new one created first", async () => {
    expect(await tDiff(sd({ templateId: "sd2" }))).toEqual({ changes: true, replaces: ["templateId"], deleteBeforeReplace: false });
    expect((await tDiff(sd({ domain: "other.example.com", templateId: UNKNOWN }))).replaces).toEqual(["domain", "templateId"]);
    expect((await snapshot.diff!("x", { ...snap(), keep: 1, updatedAt: "x" }, { ...snap({ appName: "studio" }), keep: 1 })).replaces).toEqual(["appName"]);
    expect((await recording.diff!("x", { ...rec(), updatedAt: "x" }, rec({ domain: "b.example.com" }))).replaces).toEqual(["domain"]);
  });
});

describe("connection", () => {
  afterEach(() => configure(undefined, undefined));

  it("shares the configure mechanism: one process global, never on a provider object", async () => {
    const saved = { e: process.env.LIVERELAY_ENDPOINT, t: process.env.LIVERELAY_TOKEN };
    delete process.env.LIVERELAY_ENDPOINT;
    delete process.env.LIVERELAY_TOKEN;
    try {
      await configure(undefined, undefined);
      await expect(snapshot.create(snap())).rejects.toThrow(/not configured: set the endpoint .*liverelay:endpoint.*liverelay:token/);
      // Configured through another provider of the same process (the engine configures each one it loads).
      await pkg.relayTemplateProvider.configure!({ config: { get: (k: string) => ({ "liverelay:endpoint": "ftp://nope", "liverelay:token": "tok" })[k], require: () => "" } });
      await expect(recording.delete!(`${DOMAIN}/live`, { ...rec(), updatedAt: "x" })).rejects.toThrow(/liverelay:endpoint "ftp:\/\/nope" is not usable/);
    } finally {
      Object.assign(process.env, saved.e ? { LIVERELAY_ENDPOINT: saved.e } : {}, saved.t ? { LIVERELAY_TOKEN: saved.t } : {});
    }
  });

  it("the shims in the state hold neither the token nor the endpoint: one line that loads the installed package", async () => {
    await configure("http://127.0.0.1:1", "tok_never_serialized");
    for (const kind of ["TranscodeTemplate", "SnapshotConfig", "RecordingConfig"] as const) {
      const shim = pkg.providerShim(kind);
      expect(shim).toBe(`exports.handler = function () { return require("@liverelay/pulumi/provider").providers["${kind}"]; };\n`);
      // What the dynamic-provider host does with it: the provider object of the installed package.
      const m = { exports: {} as { handler: () => unknown } };
      new Function("exports", "require", shim)(m.exports, require);
      expect(m.exports.handler()).toBe(pkg.providers[kind]);
    }
    expect(pkg.providers).toMatchObject({ TranscodeTemplate: transcode, SnapshotConfig: snapshot, RecordingConfig: recording });
  });
});

describe("create, read, update, delete against the service", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;

  beforeAll(async () => {
    svc = await startService();
    client = createClient({ baseUrl: svc.url, token: svc.token });
  });
  beforeEach(() => configure(svc.url, svc.token));
  afterAll(async () => {
    await configure(undefined, undefined);
    await svc?.stop();
  });

  const checked = async (news: TInputs) => (await transcode.check!({} as TInputs, news)).inputs!;

  it("TranscodeTemplate: create (a PUT: idempotent, takes over), read with drift, update, delete", async () => {
    const news = await checked(sd({ templateId: "crud" }));
    const created = await transcode.create(news);
    expect(created.id).toBe(`${DOMAIN}/crud`);
    expect(created.outs).toEqual({
      domain: DOMAIN, templateId: "crud", appName: "live",
      video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 }, audio: { codec: "aac", bitrateKbps: 96 },
      createdAt: expect.any(String), updatedAt: expect.any(String), endpoint: svc.url,
    });
    expect(await client.transcodeTemplates.get(DOMAIN, "crud")).toMatchObject({ appName: "live", video: { height: 360, bitrateKbps: 800, fps: null } });
    // The same create again (a retried run): the same template, no error, no duplicate.
    expect((await transcode.create(news)).id).toBe(created.id);
    expect((await client.transcodeTemplates.list(DOMAIN)).items.filter((t) => t.id === "crud")).toHaveLength(1);

    await client.transcodeTemplates.put(DOMAIN, "crud", { appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 650 }, audio: null });
    const read = await transcode.read!(created.id, created.outs);
    expect(read).toMatchObject({ id: created.id, props: { video: { bitrateKbps: 650 }, audio: null } });
    // The inputs that describe what is there: a refresh makes the next preview show the drift per property.
    expect(read.inputs).toEqual({
      domain: DOMAIN, templateId: "crud", appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 650, gopSeconds: 2 }, audio: null, endpoint: svc.url,
    });
    expect(await transcode.diff!(created.id, read.props!, news)).toMatchObject({ changes: true, replaces: [] });

    const updated = await transcode.update!(created.id, read.props!, await checked(sd({ templateId: "crud", video: { codec: "h264", height: 480, bitrateKbps: 1200, fps: 25 }, audio: null })));
    expect(updated.outs).toMatchObject({ video: { height: 480, bitrateKbps: 1200, fps: 25, gopSeconds: 2 }, audio: null, createdAt: created.outs!.createdAt });
    expect((await client.transcodeTemplates.get(DOMAIN, "crud")).video).toEqual({ codec: "h264", height: 480, bitrateKbps: 1200, fps: 25, gopSeconds: 2 });

    await transcode.delete!(created.id, updated.outs!);
    await expect(client.transcodeTemplates.get(DOMAIN, "crud")).rejects.toMatchObject({ status: 404 });
    expect(await transcode.read!(created.id, updated.outs)).toEqual({ id: "" });
    await expect(transcode.delete!(created.id, updated.outs!)).resolves.toBeUndefined(); // already gone is fine
    // read needs only the id (the identity), e.g. when the state lost its properties.
    await transcode.create(news);
    expect(await transcode.read!(created.id)).toMatchObject({ id: created.id, props: { templateId: "crud", appName: "live" } });
    // An update after an out-of-band delete writes it again (PUT).
    await client.transcodeTemplates.delete(DOMAIN, "crud");
    await transcode.update!(created.id, created.outs!, news);
    expect((await client.transcodeTemplates.get(DOMAIN, "crud")).video.bitrateKbps).toBe(800);
  });

  it("create takes over an existing template (the adoption story)", async () => {
    const existing = await client.transcodeTemplates.put(DOMAIN, "adopt", { appName: "other", video: { codec: "h264", height: 720, bitrateKbps: 3000 }, audio: null });
    const res = await transcode.create(await checked(sd({ templateId: "adopt" })));
    expect(res.outs).toMatchObject({ appName: "live", video: { height: 360 }, createdAt: existing.createdAt });
    expect(await client.transcodeTemplates.get(DOMAIN, "adopt")).toMatchObject({ appName: "live", audio: { codec: "aac", bitrateKbps: 96 } });
  });

  it("delete leaves alone what another resource of the deployment wrote since (rename, replacement created first)", async () => {
    const old = await transcode.create(await checked(sd({ templateId: "renamed" })));
    await sleep(5); // a version (updatedAt) is a millisecond timestamp
    // The resource under its new name (or the new half of a forced replacement): the same identity.
    const renamed = await transcode.create(await checked(sd({ templateId: "renamed", video: { codec: "h264", height: 360, bitrateKbps: 900 } })));
    expect(renamed.outs!.updatedAt).not.toBe(old.outs!.updatedAt);
    await transcode.delete!(old.id, old.outs!);
    expect((await client.transcodeTemplates.get(DOMAIN, "renamed")).video.bitrateKbps).toBe(900);
    // Its owner deletes it.
    await transcode.delete!(renamed.id, renamed.outs!);
    await expect(client.transcodeTemplates.get(DOMAIN, "renamed")).rejects.toMatchObject({ status: 404 });
  });

  it("errors name the resource, the service's code and request id, never the token", async () => {
    // What check would refuse, sent anyway: the service refuses it too.
    const err = (await transcode.create({ ...sd({ templateId: "bad" }), video: { codec: "h264", height: 361, bitrateKbps: 800 } }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/^LiveRelay: creating transcode template bad in shows\.example\.com failed: 400 BadRequest: .*video\.height must be even.* \(request req_[\w-]+\)$/);
    expect(err.message).not.toContain(svc.token);
    const bad = (await snapshot.update!("x", { ...snap(), keep: 1, updatedAt: "x" }, snap({ intervalSeconds: 0 })).catch((e: Error) => e)) as Error;
    expect(bad.message).toMatch(/^LiveRelay: updating snapshot config of app live in shows\.example\.com failed: 400 BadRequest: .*\(request req_[\w-]+\)$/);
  });

  it("SnapshotConfig: create, read with drift, update, delete", async () => {
    const created = await snapshot.create((await snapshot.check!({} as SInputs, snap({ appName: "snaps" }))).inputs!);
    expect(created).toEqual({ id: `${DOMAIN}/snaps`, outs: { domain: DOMAIN, appName: "snaps", intervalSeconds: 10, keep: 1, updatedAt: expect.any(String), endpoint: svc.url } });
    expect(await client.snapshotConfig.get(DOMAIN, "snaps")).toMatchObject({ intervalSeconds: 10, keep: 1 });
    await client.snapshotConfig.set(DOMAIN, "snaps", { intervalSeconds: 30, keep: 1 });
    const read = await snapshot.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ intervalSeconds: 30 });
    const updated = await snapshot.update!(created.id, read.props!, snap({ appName: "snaps", intervalSeconds: 5, keep: 12 }));
    expect(updated.outs).toMatchObject({ intervalSeconds: 5, keep: 12 });
    expect(await client.snapshotConfig.get(DOMAIN, "snaps")).toMatchObject({ intervalSeconds: 5, keep: 12 });
    await snapshot.delete!(created.id, updated.outs!);
    await expect(client.snapshotConfig.get(DOMAIN, "snaps")).rejects.toMatchObject({ status: 404 });
    expect(await snapshot.read!(created.id, updated.outs)).toEqual({ id: "" });
    await expect(snapshot.delete!(created.id, updated.outs!)).resolves.toBeUndefined();
  });

  it("RecordingConfig: create, read with drift, update, delete", async () => {
    const created = await recording.create(rec({ appName: "recs" }));
    expect(created).toEqual({ id: `${DOMAIN}/recs`, outs: { domain: DOMAIN, appName: "recs", format: "mp4", segmentSeconds: 600, updatedAt: expect.any(String), endpoint: svc.url } });
    await client.recordingConfig.set(DOMAIN, "recs", { format: "flv", segmentSeconds: 600 });
    const read = await recording.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ format: "flv" });
    expect(await recording.diff!(created.id, read.props!, rec({ appName: "recs" }))).toMatchObject({ changes: true, replaces: [] });
    const updated = await recording.update!(created.id, read.props!, rec({ appName: "recs", format: "hls", segmentSeconds: 60 }));
    expect(await client.recordingConfig.get(DOMAIN, "recs")).toMatchObject({ format: "hls", segmentSeconds: 60 });
    await recording.delete!(created.id, updated.outs!);
    await expect(client.recordingConfig.get(DOMAIN, "recs")).rejects.toMatchObject({ status: 404 });
    expect(await recording.read!(created.id, updated.outs)).toEqual({ id: "" });
  });
});
