import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, createClient, signWebhookPayload, verifyWebhookSignature, WebhookSignatureError, type DomainEvent, type LiveRelayClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { waitFor } from "../helpers/relay";

const SECRET = "whsec_test-secret-0123456789";
const event: DomainEvent = {
  id: "evt_000000000007",
  type: "stream.started",
  domain: "a.example.com",
  occurredAt: "2026-11-29T10:00:00.000Z",
  data: { appName: "live", streamName: "show", protocol: "rtmp" },
};

describe("verifyWebhookSignature", () => {
  const body = JSON.stringify(event);
  const now = 1_800_000_000;

  it("accepts a delivery signed with the secret and returns the typed event", () => {
    const header = signWebhookPayload(body, SECRET, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    const verified = verifyWebhookSignature(Buffer.from(body), header, SECRET, { now: now + 10 });
    expect(verified).toEqual(event);
    // The union narrows on `type`: data.protocol exists only on stream events.
    if (verified.type === "stream.started") expect(verified.data.protocol).toBe("rtmp");
    // Secret rotation: any v1 may match.
    expect(verifyWebhookSignature(body, `t=${now},v1=${"0".repeat(64)},${header.split(",")[1]}`, SECRET, { now })).toEqual(event);
  });

  it("rejects a bad signature, a changed body, another secret, a stale timestamp and a malformed header", () => {
    const header = signWebhookPayload(body, SECRET, now);
    const fails = (raw: string, h: string | undefined, secret = SECRET, at = now) => expect(() => verifyWebhookSignature(raw, h, secret, { now: at })).toThrow(WebhookSignatureError);
    fails(body, header.replace(/v1=./, (m) => (m.endsWith("0") ? "v1=1" : "v1=0")));
    fails(body.replace("show", "shoe"), header);
    fails(body, header, "whsec_another-secret-0123456");
    fails(body, header, SECRET, now + 301);
    fails(body, `t=${now + 1},${header.split(",")[1]}`); // the timestamp is signed too
    fails(body, undefined);
    fails(body, "v1=abc");
    expect(() => verifyWebhookSignature(body, header, SECRET, { now: now + 301 })).toThrow(/more than 300 s/);
    expect(verifyWebhookSignature(body, header, SECRET, { now: now + 3_600, toleranceSec: 0 })).toEqual(event);
  });
});

describe("client.webhooks and client.events against the real service", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;
  const domain = "sdk-events.example.com";
  const create = (streamName: string) => client.relayTemplates.create(domain, { appName: "live", streamName, destinationUrl: `rtmp://198.51.100.7/live/${streamName}`, mode: "always" });

  beforeAll(async () => {
    svc = await startService({ args: ["--allow-private-webhooks"] });
    client = createClient({ baseUrl: svc.url, token: svc.token, retryBaseDelayMs: 10 });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it("puts, gets, lists and deletes webhooks; the generated secret comes back once", async () => {
    const created = await client.webhooks.put(domain, "ops", { url: "http://127.0.0.1:9/hook", events: ["stream.started", "relay.state_changed"] });
    expect(created.secret).toMatch(/^whsec_/);
    const got = await client.webhooks.get(domain, "ops");
    expect(got).toMatchObject({ id: "ops", enabled: true, events: ["stream.started", "relay.state_changed"] });
    expect(got.secret).toBeUndefined();
    expect((await client.webhooks.list(domain)).items.map((w) => w.id)).toEqual(["ops"]);
    expect(await client.webhooks.deliveries(domain, "ops")).toEqual([]);
    await expect(client.webhooks.put(domain, "bad", { url: "http://127.0.0.1:9/", events: [] })).rejects.toBeInstanceOf(BadRequestError);
    await client.webhooks.delete(domain, "ops");
    expect((await client.webhooks.list(domain)).items).toEqual([]);
  });

  it("events.stream yields typed events as they happen, and resumes after lastEventId", async () => {
    const abort = new AbortController();
    const seen: DomainEvent[] = [];
    const reading = (async () => {
      for await (const e of client.events.stream(domain, { signal: abort.signal })) seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 300)); // connected
    await create("one");
    await create("two");
    const created = () => seen.filter((e) => e.type === "relay_template.created");
    await waitFor("two created events", () => created().length === 2);
    abort.abort();
    await reading; // the iterator returns on abort
    const last = seen.at(-1)!.id;

    await create("three"); // missed while not connected
    const again = new AbortController();
    const resumed: DomainEvent[] = [];
    const readingAgain = (async () => {
      for await (const e of client.events.stream(domain, { signal: again.signal, lastEventId: last })) {
        resumed.push(e);
        if (e.type === "relay_template.created") again.abort();
      }
    })();
    await readingAgain;
    const firstCreated = resumed.find((e) => e.type === "relay_template.created");
    expect(firstCreated?.type === "relay_template.created" && firstCreated.data.streamName).toBe("three");
    expect(resumed.every((e) => e.id > last)).toBe(true);
  });
});
