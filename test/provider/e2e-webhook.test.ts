import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as automation from "@pulumi/pulumi/automation";
import { createClient, type LiveRelayClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { waitFor } from "../helpers/relay";
import { Receiver } from "../relay-service/webhooks/receiver";
import { changes, filesUnder, inlineStack, loadProviderPackage, pulumiEnv, pulumiMissingReason, type PulumiEnv } from "./support";

// The Webhook resource under the real engine (Pulumi CLI v3.248.0, `npm run setup:pulumi`), against
// the real service and a real receiver on loopback. Needs `npm run build` first.

const missing = pulumiMissingReason();
if (missing) console.warn(`[provider e2e-webhook] skipped: ${missing}`);

const PROJECT = "liverelay-e2e-webhook";
const DOMAIN = "hooked.example.com";
const T = 180_000;

describe.skipIf(missing)("Webhook under the Pulumi engine", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;
  let env: PulumiEnv;
  let stack: automation.Stack;
  let args: Record<string, unknown>;
  let secret = "";
  const receiver = new Receiver(() => secret);
  const log: string[] = [];
  const onOutput = (s: string) => log.push(s);

  beforeAll(async () => {
    svc = await startService({ args: ["--allow-private-webhooks"] });
    client = createClient({ baseUrl: svc.url, token: svc.token, retryBaseDelayMs: 10 });
    const url = await receiver.listen();
    env = await pulumiEnv(PROJECT);
    args = { domain: DOMAIN, webhookId: "ops", url, events: ["relay_template.created"] };
    const program: automation.PulumiFn = async () => {
      const hook = new (loadProviderPackage().Webhook)("ops", args as never);
      return { id: hook.id, secret: hook.secret };
    };
    stack = await inlineStack(env, { projectName: PROJECT, stackName: "dev", program, service: svc });
  }, T);

  afterAll(async () => {
    try {
      await stack?.destroy({ onOutput }).catch(() => undefined);
    } finally {
      await receiver.close();
      await svc?.stop();
      env?.cleanup();
    }
  }, T);

  it("up creates the webhook; the generated secret is a secret output that verifies deliveries", async () => {
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ create: 2 });
    const outputs = await stack.outputs();
    expect(outputs.id.value).toBe(`${DOMAIN}/ops`);
    expect(outputs.secret.secret).toBe(true);
    secret = outputs.secret.value as string;
    expect(secret).toMatch(/^whsec_/);
    // Nowhere on disk in plaintext: the state file holds it encrypted.
    for (const file of filesUnder(env.backendDir)) expect(fs.readFileSync(file, "utf8"), file).not.toContain(secret);
    expect((await client.webhooks.get(DOMAIN, "ops")).events).toEqual(["relay_template.created"]);
    await client.relayTemplates.create(DOMAIN, { appName: "live", streamName: "s", destinationUrl: "rtmp://198.51.100.7/live/k", mode: "always" });
    await waitFor("a delivery verified with the stack's secret", () => receiver.ofType("relay_template.created")[0], 30_000);
    expect(receiver.rejected).toEqual([]);
  }, T);

  it("an events change updates in place and keeps the secret; a second preview is empty", async () => {
    args.events = ["relay_template.created", "stream.started"];
    const res = await stack.up({ onOutput });
    expect(changes(res.summary.resourceChanges)).toEqual({ update: 1 });
    expect((await stack.outputs()).secret.value).toBe(secret);
    expect((await client.webhooks.get(DOMAIN, "ops")).events).toEqual(["relay_template.created", "stream.started"]);
    const again = await stack.preview({ onOutput, diff: true });
    expect(changes(again.changeSummary), again.stdout).toEqual({});
  }, T);

  it("destroy deletes it", async () => {
    await stack.destroy({ onOutput });
    expect((await client.webhooks.list(DOMAIN)).items).toEqual([]);
  }, T);
});
