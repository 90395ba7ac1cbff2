import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import { createClient, type LiveRelayClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { changes, errorLines, inlineStack, loadProviderPackage, pulumiEnv, pulumiMissingReason, type PulumiEnv } from "./support";

// TranscodeTemplate, SnapshotConfig and RecordingConfig under the real engine: the Pulumi CLI
// v3.248.0 (`npm run setup:pulumi`) drives an Automation API inline program against the real
// service, as in e2e.test.ts. Needs `npm run build` first.

const missing = pulumiMissingReason();
if (missing) console.warn(`[provider e2e-media] skipped: ${missing}`);

const PROJECT = "liverelay-e2e-media";
const DOMAIN = "shows.example.com";
const typeOf = (kind: Kind) => `pulumi-nodejs:dynamic/liverelay:${kind}`;
const urnOf = (stack: string, kind: Kind, name: string) => `urn:pulumi:${stack}::${PROJECT}::${typeOf(kind)}::${name}`;
const T = 180_000;

type Kind = "TranscodeTemplate" | "SnapshotConfig" | "RecordingConfig";
type Spec = Record<string, { kind: Kind; args: Record<string, unknown> }>;

/** An inline program declaring one resource per entry of `spec()`, exporting their ids. */
function programOf(spec: () => Spec): automation.PulumiFn {
  return async () => {
    const pkg = loadProviderPackage();
    const ids: Record<string, unknown> = {};
    for (const [name, { kind, args }] of Object.entries(spec())) ids[name] = new pkg[kind](name, args as never).id;
    return ids;
  };
}


describe.skipIf(missing)("TranscodeTemplate, SnapshotConfig, RecordingConfig under the Pulumi engine", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;
  let env: PulumiEnv;
  let stack: automation.Stack;
  let spec: Spec;
  const log: string[] = [];
  const onOutput = (s: string) => log.push(s);
  const started = Date.now();

  const remote = async () => ({
    templates: (await client.transcodeTemplates.list(DOMAIN)).items,
    snapshot: await client.snapshotConfig.get(DOMAIN, "live").catch(() => null),
    recording: await client.recordingConfig.get(DOMAIN, "live").catch(() => null),
  });
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value as string]));
  const stateOf = async (kind: Kind, name: string) => {
    const exported = await stack.exportStack();
    return (exported.deployment as { resources: { urn: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[] }).resources.find(
      (r) => r.urn === urnOf("dev", kind, name),
    );
  };

  beforeAll(async () => {
    svc = await startService();
    client = createClient({ baseUrl: svc.url, token: svc.token, retryBaseDelayMs: 10 });
    env = await pulumiEnv(PROJECT);
    stack = await inlineStack(env, { projectName: PROJECT, stackName: "dev", program: programOf(() => spec), service: svc });
    spec = {
      // audio: null (copy the source's audio) must survive the engine; gopSeconds left to its default.
      sd: { kind: "TranscodeTemplate", args: { domain: DOMAIN, templateId: "sd", appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800 }, audio: null } },
      hd: {
        kind: "TranscodeTemplate",
        args: { domain: DOMAIN, templateId: "hd", appName: "live", video: { codec: "h264", height: 720, bitrateKbps: 2500, fps: 30, gopSeconds: 2 }, audio: { codec: "aac", bitrateKbps: 128 } },
      },
      snaps: { kind: "SnapshotConfig", args: { domain: DOMAIN, appName: "live", intervalSeconds: 10 } },
      recs: { kind: "RecordingConfig", args: { domain: DOMAIN, appName: "live", format: "mp4", segmentSeconds: 600 } },
    };
  }, T);

  afterAll(async () => {
    try {
      await stack?.destroy({ onOutput }).catch(() => undefined);
    } finally {
      await svc?.stop();
      env?.cleanup();
      console.log(`[provider e2e-media] ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    }
  }, T);

  it("preview shows the creates and creates nothing", async () => {
    const res = await stack.preview({ onOutput });
    expect(res.changeSummary).toEqual({ create: 5 }); // four resources and the stack
    for (const [name, { kind }] of Object.entries(spec)) expect(res.stdout).toContain(`+  ${typeOf(kind)} ${name} create`);
    expect(await remote()).toEqual({ templates: [], snapshot: null, recording: null });
  }, T);

  it("up creates all of them, visible through the SDK", async () => {
    const res = await stack.up({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(res.summary.resourceChanges).toEqual({ create: 5 });
    expect(await outputs()).toEqual({ sd: `${DOMAIN}/sd`, hd: `${DOMAIN}/hd`, snaps: `${DOMAIN}/live`, recs: `${DOMAIN}/live` });
    const r = await remote();
    expect(r.templates.map((t) => t.id)).toEqual(["hd", "sd"]);
    expect(r.templates.find((t) => t.id === "sd")).toMatchObject({ appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800, fps: null, gopSeconds: 2 }, audio: null });
    expect(r.templates.find((t) => t.id === "hd")).toMatchObject({ video: { height: 720, fps: 30 }, audio: { codec: "aac", bitrateKbps: 128 } });
    expect(r.snapshot).toMatchObject({ intervalSeconds: 10, keep: 1 });
    expect(r.recording).toMatchObject({ format: "mp4", segmentSeconds: 600 });
    // The outputs hold every argument, the defaults filled in.
    expect((await stateOf("TranscodeTemplate", "sd"))!.outputs).toMatchObject({
      domain: DOMAIN, templateId: "sd", appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2 }, audio: null,
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect((await stateOf("SnapshotConfig", "snaps"))!.outputs).toMatchObject({ keep: 1 });
  }, T);

  it("a second preview shows no changes (defaults left out, null audio)", async () => {
    const res = await stack.preview({ onOutput });
    expect(changes(res.changeSummary)).toEqual({});
  }, T);

  it("video.bitrateKbps change: updated in place", async () => {
    const before = (await remote()).templates.find((t) => t.id === "sd")!;
    (spec.sd.args.video as Record<string, unknown>).bitrateKbps = 650;
    const preview = await stack.preview({ onOutput, diff: true });
    expect(changes(preview.changeSummary)).toEqual({ update: 1 });
    expect(preview.stdout).toMatch(/~ bitrateKbps\s*: 800 => 650/);
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 1 });
    const after = (await remote()).templates.find((t) => t.id === "sd")!;
    expect(after.video.bitrateKbps).toBe(650);
    expect(after.createdAt).toBe(before.createdAt); // the same template, written in place
  }, T);

  it("templateId change: replaced, the old template is gone", async () => {
    spec.hd.args.templateId = "hd720";
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ replace: 1 });
    expect((await outputs()).hd).toBe(`${DOMAIN}/hd720`);
    expect((await remote()).templates.map((t) => t.id)).toEqual(["hd720", "sd"]);
    await expect(client.transcodeTemplates.get(DOMAIN, "hd")).rejects.toMatchObject({ status: 404 });
  }, T);

  it("a forced replace keeping the identity, and a rename without aliases, leave the object in place", async () => {
    const forced = await stack.up({ onOutput, replace: [urnOf("dev", "RecordingConfig", "recs"), urnOf("dev", "TranscodeTemplate", "sd")] });
    expect(changes(forced.summary.resourceChanges)).toEqual({ replace: 2 });
    expect((await remote()).recording).toMatchObject({ format: "mp4" });
    expect((await remote()).templates.map((t) => t.id)).toEqual(["hd720", "sd"]);

    // Renamed: the engine creates "snapshots" (a PUT of the same config), then deletes "snaps".
    spec.snapshots = spec.snaps;
    delete spec.snaps;
    const renamed = await stack.up({ onOutput });
    expect(changes(renamed.summary.resourceChanges)).toEqual({ create: 1, delete: 1 });
    expect((await remote()).snapshot).toMatchObject({ intervalSeconds: 10 });
    const again = await stack.preview({ onOutput });
    expect(changes(again.changeSummary)).toEqual({});
  }, T);

  it("out-of-band change + refresh: the drift shows, then up puts it back", async () => {
    await client.recordingConfig.set(DOMAIN, "live", { format: "flv", segmentSeconds: 600 });
    const refreshed = await stack.refresh({ onOutput });
    expect(changes(refreshed.summary.resourceChanges)).toEqual({ update: 1 });
    expect((await stateOf("RecordingConfig", "recs"))!.outputs.format).toBe("flv");
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 1 });
    expect((await remote()).recording).toMatchObject({ format: "mp4" });
  }, T);

  it("out-of-band delete + refresh: gone from the state; up creates it again", async () => {
    await client.transcodeTemplates.delete(DOMAIN, "sd");
    await client.snapshotConfig.delete(DOMAIN, "live");
    const refreshed = await stack.refresh({ onOutput });
    expect(changes(refreshed.summary.resourceChanges)).toEqual({ delete: 2 });
    expect(await stateOf("TranscodeTemplate", "sd")).toBeUndefined();
    expect(await stateOf("SnapshotConfig", "snapshots")).toBeUndefined();
    expect(await stateOf("RecordingConfig", "recs")).toBeDefined();
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ create: 2 });
    expect((await remote()).templates.find((t) => t.id === "sd")).toMatchObject({ video: { bitrateKbps: 650 } });
    expect((await remote()).snapshot).toMatchObject({ intervalSeconds: 10 });
  }, T);

  it("invalid input (an odd height) fails preview with a per-property message", async () => {
    const bad = await inlineStack(env, {
      projectName: PROJECT,
      stackName: "invalid",
      service: svc,
      program: programOf(() => ({
        odd: { kind: "TranscodeTemplate", args: { domain: DOMAIN, templateId: "odd", appName: "live", video: { codec: "h264", height: 361, bitrateKbps: 800 }, audio: null } },
      })),
    });
    const failed = await bad.preview({ onOutput }).then(() => undefined, (err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    const lines = errorLines(failed);
    console.log(lines.join("\n"));
    // The engine prints the failing top-level property and its value; the reason names the nested field.
    expect(lines.join("\n")).toMatch(/TranscodeTemplate resource 'odd': property video value \{.*height:\{361\}.*\} has a problem: video\.height must be even/);
    expect((await client.transcodeTemplates.list(DOMAIN)).items.map((t) => t.id)).not.toContain("odd");
    await bad.workspace.removeStack("invalid");
  }, T);

  it("destroy leaves nothing behind", async () => {
    const res = await stack.destroy({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(await remote()).toEqual({ templates: [], snapshot: null, recording: null });
  }, T);
});
