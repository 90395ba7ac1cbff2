import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import { createClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { inlineStack, isoIn, pulumiEnv, pulumiMissingReason, REPO_ROOT, STREAM_KEY, type PulumiEnv } from "./support";

// examples/basic/index.ts, compiled and run as an Automation API inline program (the repository
// cannot build the Node.js language host that `pulumi preview` in that directory would need).

const missing = pulumiMissingReason();
const EXAMPLE = path.join(REPO_ROOT, "examples", "basic");
const T = 180_000;

describe.skipIf(missing)("examples/basic under the Pulumi engine", () => {
  let svc: ServiceHandle;
  let env: PulumiEnv;
  let stack: automation.Stack;
  let program: string;

  beforeAll(async () => {
    svc = await startService();
    env = await pulumiEnv("liverelay-basic");
    // Compiled next to the work dir, so that its requires resolve from the repository's node_modules.
    const outDir = path.join(env.workDir, "bin");
    execFileSync("npx", ["tsc", "-p", EXAMPLE, "--outDir", outDir], { cwd: REPO_ROOT, stdio: "pipe" });
    program = path.join(outDir, "index.js");
    const projectName = (/^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8")) ?? [])[1]!;
    stack = await inlineStack(env, {
      projectName,
      stackName: "dev",
      service: svc,
      program: async () => {
        delete require.cache[program];
        return require(program) as Record<string, unknown>;
      },
    });
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
