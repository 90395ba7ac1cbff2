import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import { createClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { inlineStack, isoIn, pulumiEnv, pulumiMissingReason, REPO_ROOT, STREAM_KEY, type PulumiEnv } from "./support";

// examples/basic/index.ts and examples/renditions/index.ts, compiled and run as Automation API
// inline programs (the repository cannot build the Node.js language host that `pulumi preview`
// in those directories would need).

const missing = pulumiMissingReason();
const EXAMPLE = path.join(REPO_ROOT, "examples", "basic");
const T = 180_000;

/** A stack running the compiled `index.ts` of `example` against `svc`. */
async function exampleStack(example: string, env: PulumiEnv, svc: ServiceHandle): Promise<automation.Stack> {
  // Compiled next to the work dir, so that its requires resolve from the repository's node_modules.
  const outDir = path.join(env.workDir, "bin");
  execFileSync("npx", ["tsc", "-p", example, "--outDir", outDir], { cwd: REPO_ROOT, stdio: "pipe" });
  const program = path.join(outDir, "index.js");
  const projectName = (/^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(example, "Pulumi.yaml"), "utf8")) ?? [])[1]!;
  return inlineStack(env, {
    projectName,
    stackName: "dev",
    service: svc,
    program: async () => {
      delete require.cache[program];
      return require(program) as Record<string, unknown>;
    },
  });
}

describe.skipIf(missing)("examples/basic under the Pulumi engine", () => {
  let svc: ServiceHandle;
  let env: PulumiEnv;
  let stack: automation.Stack;

  beforeAll(async () => {
    svc = await startService();
    env = await pulumiEnv("liverelay-basic");
    stack = await exampleStack(EXAMPLE, env, svc);
    await stack.setConfig("youtubeUrl", { value: `rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}`, secret: true });
    await stack.setConfig("twitchUrl", { value: `rtmp://live.twitch.tv/app/${STREAM_KEY}-tw`, secret: true });
    await stack.setConfig("startTime", { value: isoIn(24 * 3_600_000) });
    await stack.setConfig("endTime", { value: isoIn(27 * 3_600_000) });
  }, T);

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await svc?.stop();
    env?.cleanup();
  }, T);

  it("previews two creates, deploys them, then shows no changes", async () => {
    // SHOW_PREVIEW=1 prints what `pulumi preview --diff` shows (docs/pulumi.md quotes it).
    const preview = await stack.preview({ diff: Boolean(process.env.SHOW_PREVIEW) });
    if (process.env.SHOW_PREVIEW) console.log(preview.stdout);
    expect(preview.changeSummary).toEqual({ create: 3 });
    expect(preview.stdout).not.toContain(STREAM_KEY);

    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: 3 });
    const ids = up.outputs.templateIds!.value as { youtube: string; twitch: string };
    const client = createClient({ baseUrl: svc.url, token: svc.token });
    const yt = await client.relayTemplates.get("shows.example.com", ids.youtube);
    expect(yt).toMatchObject({ appName: "live", streamName: "keynote", mode: "time", description: "Keynote to YouTube" });
    expect((await client.relayTemplates.get("shows.example.com", ids.twitch)).destinationUrl).toBe(`rtmp://live.twitch.tv/app/${STREAM_KEY}-tw`);

    const again = await stack.preview();
    expect(again.changeSummary).toEqual({ same: 3 });
  }, T);
});

describe.skipIf(missing)("examples/renditions under the Pulumi engine", () => {
  let svc: ServiceHandle;
  let env: PulumiEnv;
  let stack: automation.Stack;

  beforeAll(async () => {
    svc = await startService();
    env = await pulumiEnv("liverelay-renditions");
    stack = await exampleStack(path.join(REPO_ROOT, "examples", "renditions"), env, svc);
    await stack.setConfig("mobileUrl", { value: `rtmp://live.example.net/app/${STREAM_KEY}`, secret: true });
  }, T);

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await svc?.stop();
    env?.cleanup();
  }, T);

  it("previews four creates, deploys the rendition, its relay, snapshots and recording, then shows no changes", async () => {
    const preview = await stack.preview({ diff: Boolean(process.env.SHOW_PREVIEW) });
    if (process.env.SHOW_PREVIEW) console.log(preview.stdout);
    expect(preview.changeSummary).toEqual({ create: 5 });
    expect(preview.stdout).not.toContain(STREAM_KEY);

    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: 5 });
    expect(up.outputs.renditionStream!.value).toBe("keynote_sd");
    const ids = up.outputs.ids!.value as Record<string, string>;
    expect(ids).toMatchObject({ sd: "shows.example.com/sd", snapshots: "shows.example.com/live", recording: "shows.example.com/live" });
    const client = createClient({ baseUrl: svc.url, token: svc.token });
    expect(await client.transcodeTemplates.get("shows.example.com", "sd")).toMatchObject({
      appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800, gopSeconds: 2, fps: null }, audio: { codec: "aac", bitrateKbps: 96 },
    });
    expect(await client.relayTemplates.get("shows.example.com", ids.mobile!)).toMatchObject({
      appName: "live", streamName: "keynote_sd", mode: "always", destinationUrl: `rtmp://live.example.net/app/${STREAM_KEY}`,
    });
    expect(await client.snapshotConfig.get("shows.example.com", "live")).toMatchObject({ intervalSeconds: 10, keep: 6 });
    expect(await client.recordingConfig.get("shows.example.com", "live")).toMatchObject({ format: "mp4", segmentSeconds: 1800 });

    const again = await stack.preview();
    expect(again.changeSummary).toEqual({ same: 5 });
  }, T);
});
