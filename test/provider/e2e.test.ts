import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import { createClient, type LiveRelayClient, type RelayTemplate as ApiTemplate } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import {
  changes,
  errorLines,
  filesUnder,
  inlineStack,
  isoIn,
  loadProviderPackage,
  plaintextOccurrences,
  pulumiEnv,
  pulumiMissingReason,
  sleep,
  stateFile,
  STREAM_KEY,
  type PulumiEnv,
} from "./support";

// The provider under the real engine: the Pulumi CLI v3.248.0 (`npm run setup:pulumi`) drives an
// Automation API inline program against the real service. Needs `npm run build` first.

const missing = pulumiMissingReason();
if (missing) console.warn(`[provider e2e] skipped: ${missing}`);

const PROJECT = "liverelay-e2e";
const DOMAIN = "shows.example.com";
const TYPE = "pulumi-nodejs:dynamic/liverelay:RelayTemplate";
const urnOf = (stack: string, name: string) => `urn:pulumi:${stack}::${PROJECT}::${TYPE}::${name}`;
const dest = (host: string, n = "") => `rtmp://${host}/live2/${STREAM_KEY}${n}`;
const T = 180_000;

type Spec = Record<string, Record<string, unknown> & { secretUrl?: boolean; opts?: import("@pulumi/pulumi").CustomResourceOptions }>;

/** An inline program declaring one RelayTemplate per entry of `spec()`, exporting their ids. */
function programOf(spec: () => Spec): automation.PulumiFn {
  return async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { RelayTemplate } = loadProviderPackage();
    const ids: Record<string, unknown> = {};
    for (const [name, { secretUrl, opts, ...args }] of Object.entries(spec())) {
      const destinationUrl = secretUrl ? pulumi.secret(args.destinationUrl as string) : args.destinationUrl;
      ids[name] = new RelayTemplate(name, { ...args, destinationUrl } as never, opts).templateId;
    }
    return ids;
  };
}


describe.skipIf(missing)("RelayTemplate under the Pulumi engine (Automation API, inline program)", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;
  let env: PulumiEnv;
  let stack: automation.Stack;
  let spec: Spec;
  const log: string[] = [];
  const onOutput = (s: string) => log.push(s);
  const started = Date.now();

  const list = async (): Promise<ApiTemplate[]> => {
    const all: ApiTemplate[] = [];
    for await (const t of client.relayTemplates.listAll(DOMAIN)) all.push(t);
    return all;
  };
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value as string]));

  beforeAll(async () => {
    svc = await startService();
    client = createClient({ baseUrl: svc.url, token: svc.token, retryBaseDelayMs: 10 });
    env = await pulumiEnv(PROJECT);
    stack = await inlineStack(env, { projectName: PROJECT, stackName: "dev", program: programOf(() => spec), service: svc });
    spec = {
      youtube: {
        domain: DOMAIN, appName: "live", streamName: "keynote", destinationUrl: dest("a.rtmp.youtube.com"), secretUrl: true,
        mode: "time", startTime: isoIn(3_600_000), endTime: isoIn(3 * 3_600_000), description: "main show",
      },
      // Not wrapped in pulumi.secret: the resource makes it one anyway.
      twitch: { domain: DOMAIN, appName: "live", streamName: "keynote", destinationUrl: dest("live.twitch.tv", "-tw"), mode: "always" },
      // A window that ends during this test: later runs must stay quiet about it.
      short: {
        domain: DOMAIN, appName: "live", streamName: "warmup", destinationUrl: dest("ingest.example.net", "-short"),
        mode: "time", startTime: isoIn(-60_000), endTime: isoIn(40_000),
      },
    };
  }, T);

  afterAll(async () => {
    try {
      await stack?.destroy({ onOutput }).catch(() => undefined);
    } finally {
      await svc?.stop();
      env?.cleanup();
      console.log(`[provider e2e] ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    }
  }, T);

  it("preview shows the creates and creates nothing", async () => {
    const res = await stack.preview({ onOutput });
    expect(res.changeSummary).toEqual({ create: 4 }); // three templates and the stack
    expect(res.stdout).toContain(`+  ${TYPE} youtube create`);
    expect(await list()).toEqual([]);
  }, T);

  it("up creates them, visible through the API", async () => {
    const res = await stack.up({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(res.summary.resourceChanges).toEqual({ create: 4 });
    const ids = await outputs();
    const remote = await list();
    expect(remote).toHaveLength(3);
    const yt = remote.find((t) => t.id === ids.youtube)!;
    expect(yt).toMatchObject({ appName: "live", streamName: "keynote", destinationUrl: dest("a.rtmp.youtube.com"), mode: "time", description: "main show" });
    expect(yt.startTime).toBe(spec.youtube.startTime);
    expect(remote.find((t) => t.id === ids.twitch)).toMatchObject({ mode: "always", startTime: null, destinationUrl: dest("live.twitch.tv", "-tw") });
    expect(remote.find((t) => t.id === ids.short)).toBeDefined();
  }, T);

  it("a second preview shows no changes (also with `.000Z` times)", async () => {
    spec.youtube.startTime = (spec.youtube.startTime as string).replace("Z", ".000Z");
    const res = await stack.preview({ onOutput });
    expect(changes(res.changeSummary)).toEqual({});
  }, T);

  it("the state holds neither the stream keys nor the token in plaintext", async () => {
    // On disk (the file backend, its history and backups): encrypted.
    for (const file of filesUnder(env.backendDir)) {
      const text = fs.readFileSync(file, "utf8");
      expect(text.includes(STREAM_KEY), file).toBe(false);
      expect(text.includes(svc.token), file).toBe(false);
    }
    // `stack.exportStack()` runs `stack export --show-secrets`: the values may appear, but only as secrets.
    const exported = await stack.exportStack();
    const resources = (exported.deployment as { resources: { urn: string; type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] }).resources;
    expect(plaintextOccurrences(exported, [STREAM_KEY, svc.token])).toEqual([]);
    const yt = resources.find((r) => r.urn === urnOf("dev", "youtube"))!;
    // The provider in the state is the shim that loads the installed package, in inputs and outputs alike.
    const shim = loadProviderPackage().providerShim("RelayTemplate");
    expect(yt.inputs!.__provider).toBe(shim);
    expect(yt.outputs!.__provider).toBe(shim);
    expect(yt.outputs!.endpoint).toBe(svc.url);
    // A few KB per resource on disk (it was ~25 KB of serialized provider code, twice).
    const state = stateFile(env, PROJECT, "dev");
    console.log(`[provider e2e] state: ${state.bytes} bytes for ${state.resources} resources`);
    expect(state.bytes / state.resources).toBeLessThan(4096);
    for (const name of ["youtube", "twitch"]) {
      const r = resources.find((x) => x.urn === urnOf("dev", name))!;
      expect(r.outputs!.destinationUrl, `${name} destinationUrl output`).toHaveProperty("plaintext");
      expect(r.inputs!.destinationUrl, `${name} destinationUrl input`).toHaveProperty("plaintext");
      expect(r.outputs!.templateId).toMatch(/^rt_/);
    }
  }, T);

  it("endTime change: updated in place, same templateId", async () => {
    const before = await outputs();
    spec.youtube.endTime = isoIn(4 * 3_600_000);
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 1 });
    const after = await outputs();
    expect(after.youtube).toBe(before.youtube);
    expect((await client.relayTemplates.get(DOMAIN, after.youtube)).endTime).toBe(spec.youtube.endTime);
  }, T);

  it("destinationUrl change: replaced, the old template is gone from the service", async () => {
    const before = await outputs();
    spec.twitch.destinationUrl = dest("live-fra.twitch.tv", "-tw2");
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ replace: 1 });
    const after = await outputs();
    expect(after.twitch).not.toBe(before.twitch);
    await expect(client.relayTemplates.get(DOMAIN, before.twitch)).rejects.toMatchObject({ status: 404 });
    expect((await client.relayTemplates.get(DOMAIN, after.twitch)).destinationUrl).toBe(dest("live-fra.twitch.tv", "-tw2"));
    expect(await list()).toHaveLength(3);
  }, T);

  it("a forced replace keeping the identity deletes first: no 409, no duplicate", async () => {
    const before = await outputs();
    const res = await stack.up({ onOutput, replace: [urnOf("dev", "twitch")] });
    expect(changes(res.summary.resourceChanges)).toEqual({ replace: 1 });
    const after = await outputs();
    expect(after.twitch).not.toBe(before.twitch);
    const same = (await list()).filter((t) => t.destinationUrl === dest("live-fra.twitch.tv", "-tw2"));
    expect(same.map((t) => t.id)).toEqual([after.twitch]);
  }, T);

  it("out-of-band PATCH + refresh: the drift is picked up, then up puts it back", async () => {
    const ids = await outputs();
    await client.relayTemplates.update(DOMAIN, ids.youtube, { description: "edited by hand" });
    const refreshed = await stack.refresh({ onOutput });
    expect(changes(refreshed.summary.resourceChanges)).toEqual({ update: 1 });
    const exported = await stack.exportStack();
    const yt = (exported.deployment as { resources: { urn: string; outputs: Record<string, unknown> }[] }).resources.find((r) => r.urn === urnOf("dev", "youtube"))!;
    expect(yt.outputs.description).toBe("edited by hand");
    // read returned the inputs too: the preview names what `up` will put back.
    const preview = await stack.preview({ onOutput, diff: true });
    expect(changes(preview.changeSummary)).toEqual({ update: 1 });
    expect(preview.stdout).toMatch(/~ description\s*: "edited by hand" => "main show"/);
    await stack.up({ onOutput });
    expect((await client.relayTemplates.get(DOMAIN, ids.youtube)).description).toBe("main show");
  }, T);

  it("ignoreChanges: a description edited out of band and refreshed is kept", async () => {
    const ids = await outputs();
    spec.youtube.opts = { ignoreChanges: ["description"] };
    await client.relayTemplates.update(DOMAIN, ids.youtube, { description: "kept by hand" });
    await stack.refresh({ onOutput });
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({});
    expect((await client.relayTemplates.get(DOMAIN, ids.youtube)).description).toBe("kept by hand");
    delete spec.youtube.opts;
    await stack.up({ onOutput });
    expect((await client.relayTemplates.get(DOMAIN, ids.youtube)).description).toBe("main show");
  }, T);

  it("out-of-band delete + refresh: gone from the state; up creates it again", async () => {
    const ids = await outputs();
    await client.relayTemplates.delete(DOMAIN, ids.twitch);
    const refreshed = await stack.refresh({ onOutput });
    expect(changes(refreshed.summary.resourceChanges)).toEqual({ delete: 1 });
    const exported = await stack.exportStack();
    const urns = (exported.deployment as { resources: { urn: string }[] }).resources.map((r) => r.urn);
    expect(urns).not.toContain(urnOf("dev", "twitch"));
    expect(urns).toContain(urnOf("dev", "youtube"));
    // The identity (and so the idempotency key) is unchanged: the replayed, deleted template must not come back.
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ create: 1 });
    const after = await outputs();
    expect(after.twitch).not.toBe(ids.twitch);
    expect((await client.relayTemplates.get(DOMAIN, after.twitch)).destinationUrl).toBe(dest("live-fra.twitch.tv", "-tw2"));
  }, T);

  it("an existing template: 409 with a readable error, then `adopt: true` takes it over", async () => {
    const existing = await client.relayTemplates.create(DOMAIN, {
      appName: "live", streamName: "keynote", destinationUrl: dest("rtmp.facebook.com"), mode: "always", description: "made by hand",
    });
    spec.facebook = {
      domain: DOMAIN, appName: "live", streamName: "keynote", destinationUrl: dest("rtmp.facebook.com"),
      mode: "time", startTime: isoIn(3_600_000), endTime: isoIn(2 * 3_600_000), description: "managed",
    };
    const failed = await stack.up({ onOutput }).then(() => undefined, (err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    const message = String(failed!.message);
    console.log(errorLines(failed).join("\n"));
    expect(message).toMatch(/409 Conflict: .* \(request [^)]+\)/);
    expect(message).toContain("adopt: true");
    expect(message).not.toContain(STREAM_KEY);
    expect(message).not.toContain(svc.token);

    spec.facebook.adopt = true;
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ create: 1 });
    expect((await outputs()).facebook).toBe(existing.id);
    const matching = (await list()).filter((t) => t.destinationUrl === dest("rtmp.facebook.com"));
    expect(matching).toHaveLength(1);
    expect(matching[0]).toMatchObject({ id: existing.id, mode: "time", startTime: spec.facebook.startTime, description: "managed" });
    const again = await stack.preview({ onOutput });
    expect(changes(again.changeSummary)).toEqual({});
  }, T);

  it("a window that has ended: preview and up stay quiet (no changes, no error)", async () => {
    const left = Date.parse(spec.short.endTime as string) - Date.now();
    if (left > -2000) await sleep(left + 2000);
    const preview = await stack.preview({ onOutput });
    expect(changes(preview.changeSummary)).toEqual({});
    const res = await stack.up({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(changes(res.summary.resourceChanges)).toEqual({});
    // Changing that window now is refused at preview, by property.
    spec.short.endTime = isoIn(-1000);
    const failed = await stack.preview({ onOutput }).then(() => undefined, (err: Error) => err);
    expect(String(failed?.message)).toContain("endTime must be later than the current time");
    spec.short.endTime = (await client.relayTemplates.get(DOMAIN, (await outputs()).short)).endTime!;
  }, T);

  it("invalid inputs fail preview with per-property messages", async () => {
    const bad = await inlineStack(env, {
      projectName: PROJECT,
      stackName: "invalid",
      service: svc,
      program: programOf(() => ({
        bad: { domain: "Shows.Example.com", appName: "live", streamName: "keynote", destinationUrl: `http://example.com/live/${STREAM_KEY}`, mode: "time", startTime: "2026-12-01T09:00:00Z" },
      })),
    });
    const failed = await bad.preview({ onOutput }).then(() => undefined, (err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    const message = String(failed!.message);
    console.log(errorLines(failed).join("\n"));
    expect(message).toContain("destinationUrl scheme must be rtmp, rtmps or srt");
    expect(message).toContain("domain must be lowercase");
    expect(message).toContain("endTime is required when mode is \"time\"");
    expect(message).not.toContain(STREAM_KEY);
    await bad.workspace.removeStack("invalid");
  }, T);

  it("no endpoint or token configured: a clear error naming the config keys", async () => {
    const bare = await inlineStack(env, {
      projectName: PROJECT,
      stackName: "unconfigured",
      program: programOf(() => ({ lone: { domain: DOMAIN, appName: "live", streamName: "solo", destinationUrl: dest("x.example.org"), mode: "always" } })),
    });
    const failed = await bare.up({ onOutput }).then(() => undefined, (err: Error) => err);
    const message = String(failed?.message);
    console.log(errorLines(failed).join("\n"));
    expect(message).toContain("liverelay:endpoint");
    expect(message).toContain("liverelay:token");
    await bare.workspace.removeStack("unconfigured", { force: true });
  }, T);

  it("destroy leaves no template behind", async () => {
    const res = await stack.destroy({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(await list()).toEqual([]);
  }, T);
});
