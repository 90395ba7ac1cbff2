import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../helpers/service";
import { packedProject, REPO_ROOT, SECRET_SIG, STREAM_KEY } from "./support";

// The provider as users get it: `npm pack`ed @liverelay/api, @liverelay/sdk and @liverelay/pulumi installed with
// @pulumi/pulumi 3.248.0 into a project outside the repo. Each resource sends a one-line shim as
// its `__provider` input; the dynamic-provider host later evaluates that text in a fresh process
// and calls `.handler()`, which loads the implementation from the installed package. Both halves
// run here in child processes, from that project.
//
// The install is cached in $TMPDIR/liverelay-provider-pack/<hash of the two tarballs>.

const TOKEN = "lrt_serialization_TOKEN_5b1e9d";
const PULUMI_VERSION = "3.248.0";


/** Runs a script with node from `cwd` (so `require` resolves from the installed project). */
function node(cwd: string, script: string, env: NodeJS.ProcessEnv = {}): unknown {
  const file = path.join(cwd, `script-${crypto.randomUUID()}.js`);
  fs.writeFileSync(file, script);
  try {
    const res = spawnSync(process.execPath, [file], { cwd, encoding: "utf8", timeout: 60_000, env: { ...process.env, LIVERELAY_ENDPOINT: "", LIVERELAY_TOKEN: "", ...env } });
    if (res.status !== 0) throw new Error(`node exited with ${res.status}:\n${res.stdout}\n${res.stderr}`);
    const lines = res.stdout.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]!);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

interface HostResult {
  zodBefore: boolean;
  loadedFrom: string[];
  zodAfter: boolean;
  valid: { inputs: Record<string, unknown>; failures: unknown[] };
  invalid: { failures: unknown[] };
  preview: { failures: unknown[] };
  diff: Record<string, unknown>;
  created: { id: string; outs: Record<string, unknown> };
  read: unknown;
  gone: unknown;
}

interface MediaHostResult {
  zodBefore: boolean;
  results: Record<string, { valid: { inputs: Record<string, unknown>; failures: unknown[] }; invalid: { failures: unknown[] }; preview: { failures: unknown[] }; diff: Record<string, unknown>; created: { id: string; outs: Record<string, unknown> }; read: unknown; gone: unknown }>;
}

/** Valid, invalid and preview (all unknown but one) inputs of the three media resources, and an update. */
const MEDIA_CASES = {
  TranscodeTemplate: {
    args: { domain: "shows.example.com", templateId: "sd", appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800 }, audio: null },
    invalid: { domain: "shows.example.com", templateId: "sd", appName: "live", video: { codec: "h264", height: 361, bitrateKbps: 800 }, audio: null },
    changed: { video: { codec: "h264", height: 360, bitrateKbps: 1200, gopSeconds: 2 } },
  },
  SnapshotConfig: {
    args: { domain: "shows.example.com", appName: "live", intervalSeconds: 10 },
    invalid: { domain: "shows.example.com", appName: "live", intervalSeconds: 0 },
    changed: { keep: 5 },
  },
  RecordingConfig: {
    args: { domain: "shows.example.com", appName: "live", format: "mp4", segmentSeconds: 600 },
    invalid: { domain: "shows.example.com", appName: "live", format: "mkv", segmentSeconds: 600 },
    changed: { appName: "studio" },
  },
} as const;

describe("closure serialization of the packed provider", () => {
  let project: string;
  let serialized: string;
  let serializedMedia: Record<string, string>;
  let svc: ServiceHandle;

  beforeAll(async () => {
    project = packedProject("liverelay-provider-pack", PULUMI_VERSION);
    svc = await startService();
  }, 600_000);

  afterAll(async () => {
    await svc?.stop();
  });

  it("installs as separate packages (nothing resolves back into the repository)", () => {
    const where = node(project, `console.log(JSON.stringify(["@liverelay/pulumi", "@liverelay/sdk", "@pulumi/pulumi", "zod"].map((m) => require.resolve(m))));`) as string[];
    for (const p of where) {
      expect(p.startsWith(path.join(project, "node_modules"))).toBe(true);
      expect(fs.realpathSync(p).startsWith(REPO_ROOT)).toBe(false);
    }
  });

  it("sends a one-line shim that loads the installed package: no token, no endpoint, no code by value", () => {
    // As in a program, possibly after configure ran in the same process (tests): the token must
    // still not reach the state. `__provider` is taken from what the resources actually send to
    // the engine (through Pulumi's mocks).
    const out = node(
      project,
      `
      const runtime = require("@pulumi/pulumi/runtime");
      const pkg = require("@liverelay/pulumi");
      (async () => {
        await pkg.relayTemplateProvider.configure({ config: { get: (k) => ({ "liverelay:endpoint": "http://127.0.0.1:1", "liverelay:token": ${JSON.stringify(TOKEN)} })[k] } });
        let inputs;
        const media = {};
        await runtime.setMocks({
          newResource: (args) => {
            const type = args.type.split(":").pop();
            if (type === "RelayTemplate") inputs = args.inputs; else media[type] = args.inputs;
            return { id: "mock", state: args.inputs };
          },
          call: () => ({}),
        }, "proj", "dev", false);
        new pkg.RelayTemplate("yt", { domain: "shows.example.com", appName: "live", streamName: "keynote",
          destinationUrl: ${JSON.stringify(`rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}`)}, mode: "always" });
        const cases = ${JSON.stringify(MEDIA_CASES)};
        for (const [type, c] of Object.entries(cases)) new pkg[type]("m-" + type, c.args);
        for (let i = 0; i < 200 && !(inputs && Object.keys(media).length === 3); i++) await new Promise((r) => setTimeout(r, 25));
        const mediaProviders = Object.fromEntries(Object.entries(media).map(([t, i]) => [t, i.__provider]));
        console.log(JSON.stringify({ provider: inputs.__provider, key: inputs.__idempotencyKey, media: mediaProviders }));
      })().catch((e) => { console.error(e); process.exit(1); });
      `,
    ) as { provider: string; key: unknown; media: Record<string, string> };
    serialized = out.provider;
    serializedMedia = out.media;
    // Derived from the (secret) destination URL, so a secret itself.
    expect(out.key).toMatchObject({ [SECRET_SIG]: expect.any(String), value: expect.stringMatching(/^pulumi-[0-9a-f]{64}$/) });
    expect(Object.keys(out.media).sort()).toEqual(["RecordingConfig", "SnapshotConfig", "TranscodeTemplate"]);
    for (const [type, text] of [...Object.entries(out.media), ["RelayTemplate", serialized] as const]) {
      expect(text, type).toBe(`exports.handler = function () { return require("@liverelay/pulumi/provider").providers["${type}"]; };\n`);
      expect(text, type).not.toContain(TOKEN);
    }
  });

  it("runs in a fresh process as the dynamic-provider host loads it: check, then CRUD", () => {
    const file = path.join(project, "provider.txt");
    fs.writeFileSync(file, serialized);
    const result = node(
      project,
      `
      // As @pulumi/pulumi/cmd/dynamic-provider does: requireFromString(text).handler(), then configure.
      const pulumiDir = require("path").dirname(require.resolve("@pulumi/pulumi/package.json"));
      const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));
      const text = require("fs").readFileSync(${JSON.stringify(file)}, "utf8");
      const provider = requireFromString(text).handler();
      const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      const base = { domain: "shows.example.com", appName: "live", streamName: "keynote", destinationUrl: "rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}",
        mode: "time", startTime: "2027-01-01T09:00:00.000Z", endTime: "2027-01-01T12:00:00Z" };
      (async () => {
        const loadedZod = () => Object.keys(require.cache).some((p) => p.includes("/zod/"));
        const zodBefore = loadedZod();
        await provider.configure({ config: { get: (k) => ({ "liverelay:endpoint": process.env.E, "liverelay:token": process.env.T })[k] } });
        const valid = await provider.check({}, base);
        const invalid = await provider.check({}, { ...base, destinationUrl: "http://example.com/x", domain: "UPPER.example.com", endTime: "2027-01-01T08:00:00Z" });
        const preview = await provider.check({}, { ...base, destinationUrl: UNKNOWN, startTime: UNKNOWN });
        const diff = await provider.diff("rt_1", { ...valid.inputs, templateId: "rt_1" }, { ...valid.inputs, destinationUrl: "srt://x.example.com:9000?streamid=k" });
        const created = await provider.create({ ...valid.inputs, __idempotencyKey: "pulumi-serialization-test" });
        const read = await provider.read(created.id, created.outs);
        // destroy is another deployment (another provider process): it forgets what this one created.
        globalThis[Symbol.for("liverelay.pulumi.claims")] = {};
        await provider.delete(created.id, created.outs);
        const gone = await provider.read(created.id, created.outs);
        console.log(JSON.stringify({ zodBefore, zodAfter: loadedZod(), loadedFrom: Object.keys(require.cache).filter((p) => p.includes("/@liverelay/pulumi/dist/implementations")), valid, invalid, preview, diff, created, read, gone }));
      })().catch((e) => { console.error(e); process.exit(1); });
      `,
      { E: svc.url, T: svc.token },
    ) as HostResult;

    // handler() loaded the implementation from the project's installed package.
    expect(result.loadedFrom).toEqual([path.join(fs.realpathSync(project), "node_modules", "@liverelay", "pulumi", "dist", "implementations.js")]);
    expect(result.zodAfter).toBe(true);
    expect(result.valid).toEqual({ inputs: expect.objectContaining({ startTime: "2027-01-01T09:00:00Z", endTime: "2027-01-01T12:00:00Z" }), failures: [] });
    expect(result.invalid.failures).toEqual(
      expect.arrayContaining([
        { property: "domain", reason: "domain must be lowercase" },
        { property: "", reason: "destinationUrl scheme must be rtmp, rtmps or srt" },
        { property: "endTime", reason: "endTime must be later than startTime" },
      ]),
    );
    expect(result.preview.failures).toEqual([]);
    expect(result.diff).toMatchObject({ changes: true, replaces: ["destinationUrl"] });
    expect(result.created.id).toMatch(/^rt_/);
    expect(result.read).toMatchObject({ id: result.created.id, props: { appName: "live", mode: "time" } });
    expect(result.gone).toEqual({ id: "" });
  });

  it("the media providers run in a fresh process: check (defaults, per-property failures, preview), diff, CRUD", () => {
    const files = Object.fromEntries(
      Object.entries(serializedMedia).map(([type, text]) => {
        const file = path.join(project, `provider-${type}.txt`);
        fs.writeFileSync(file, text);
        return [type, file];
      }),
    );
    const result = node(
      project,
      `
      const pulumiDir = require("path").dirname(require.resolve("@pulumi/pulumi/package.json"));
      const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));
      const files = ${JSON.stringify(files)};
      const cases = ${JSON.stringify(MEDIA_CASES)};
      const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      (async () => {
        const zodBefore = Object.keys(require.cache).some((p) => p.includes("/zod/"));
        const results = {};
        for (const [type, file] of Object.entries(files)) {
          const provider = requireFromString(require("fs").readFileSync(file, "utf8")).handler();
          await provider.configure({ config: { get: (k) => ({ "liverelay:endpoint": process.env.E, "liverelay:token": process.env.T })[k] } });
          const c = cases[type];
          const valid = await provider.check({}, c.args);
          const invalid = await provider.check({}, c.invalid);
          const preview = await provider.check({}, Object.fromEntries(Object.keys(c.args).map((k) => [k, k === "domain" ? c.args.domain : UNKNOWN])));
          const created = await provider.create(valid.inputs);
          const diff = await provider.diff(created.id, created.outs, { ...valid.inputs, ...c.changed });
          const read = await provider.read(created.id, created.outs);
          await provider.delete(created.id, created.outs);
          const gone = await provider.read(created.id, created.outs);
          results[type] = { valid, invalid, preview, diff, created, read, gone };
        }
        console.log(JSON.stringify({ zodBefore, results }));
      })().catch((e) => { console.error(e); process.exit(1); });
      `,
      { E: svc.url, T: svc.token },
    ) as MediaHostResult;

    const { TranscodeTemplate: t, SnapshotConfig: s, RecordingConfig: r } = result.results;
    expect(t.valid).toEqual({ inputs: { ...MEDIA_CASES.TranscodeTemplate.args, video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 }, endpoint: svc.url }, failures: [] });
    expect(t.invalid.failures).toEqual([{ property: "video", reason: "video.height must be even" }]);
    expect(s.valid.inputs).toMatchObject({ keep: 1 });
    expect(s.invalid.failures).toEqual([{ property: "intervalSeconds", reason: "intervalSeconds must be between 1 and 3600 seconds" }]);
    expect(r.invalid.failures).toEqual([{ property: "format", reason: 'format must be "mp4", "flv" or "hls"' }]);
    for (const x of [t, s, r]) expect(x.preview.failures).toEqual([]);
    expect(t.diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(s.diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(r.diff).toEqual({ changes: true, replaces: ["appName"], deleteBeforeReplace: false });
    expect(t.created).toMatchObject({ id: "shows.example.com/sd", outs: { templateId: "sd", audio: null } });
    expect(s.created.id).toBe("shows.example.com/live");
    for (const x of [t, s, r]) {
      expect(x.read).toMatchObject({ id: x.created.id, props: { appName: "live" } });
      expect(x.gone).toEqual({ id: "" });
    }
  });
});
