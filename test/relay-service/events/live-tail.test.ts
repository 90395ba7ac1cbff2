import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { waitFor } from "../../helpers/relay";
import { sseMessages } from "../../../sdk/src/resources/events";

const DOMAIN = "tail.example.com";

/** A raw SSE client over fetch: what it received, and a way to hang up. */
function tail(svc: ServiceHandle, domain: string, lastEventId?: string) {
  const abort = new AbortController();
  const all: { id?: string; event?: string; data: string }[] = [];
  // Each template write also moves its relay (inactive → waiting): only the template events are counted here.
  const received: typeof all = [];
  const opened = fetch(`${svc.url}/v1/domains/${domain}/events`, {
    headers: { authorization: `Bearer ${svc.token}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
    signal: abort.signal,
  });
  const done = opened
    .then(async (res) => {
      for await (const m of sseMessages(res.body as unknown as AsyncIterable<Uint8Array>)) {
        all.push(m);
        if (m.event === "relay_template.created") received.push(m);
      }
    })
    .catch(() => {});
  return { opened, received, all, close: async () => (abort.abort(), await done) };
}

describe("live tail (Server-Sent Events)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  const create = (streamName: string) => call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName, destinationUrl: `rtmp://198.51.100.7/live/${streamName}`, mode: "always" });

  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it("streams the domain's events as they happen, and resumes after Last-Event-ID without missing any", async () => {
    await create("before-connect"); // not part of a tail opened later without Last-Event-ID
    const first = tail(svc, DOMAIN);
    const res = await first.opened;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const other = tail(svc, "elsewhere.example.com");
    await create("a");
    await create("b");
    await waitFor("two events", () => first.received.length === 2);
    await first.close();
    const lastSeen = first.all.at(-1)!.id!;

    await create("c"); // while disconnected
    await create("d");
    const resumed = tail(svc, DOMAIN, lastSeen);
    await waitFor("the missed events", () => resumed.received.length === 2);
    await create("e");
    await waitFor("the live one", () => resumed.received.length === 3);
    const names = (ms: { data: string }[]) => ms.map((m) => JSON.parse(m.data).data.streamName);
    expect(names(first.received)).toEqual(["a", "b"]);
    expect(names(resumed.received)).toEqual(["c", "d", "e"]);
    for (const m of resumed.received) {
      const event = JSON.parse(m.data);
      expect(m.id).toBe(event.id);
      expect(m.event).toBe("relay_template.created");
      expect(event.domain).toBe(DOMAIN);
    }
    // Everything (relay state changes too), across the reconnection: each id once, in order.
    const ids = [...first.all, ...resumed.all].map((m) => m.id!);
    expect(ids).toEqual([...new Set(ids)].sort());
    await resumed.close();
    expect(other.all).toEqual([]); // another domain's tail hears nothing of this one
    await other.close();
  });

  it("answers a malformed Last-Event-ID with 400, and needs the token", async () => {
    const bad = await fetch(`${svc.url}/v1/domains/${DOMAIN}/events`, { headers: { authorization: `Bearer ${svc.token}`, "last-event-id": "42; drop" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe("Last-Event-ID");
    expect((await fetch(`${svc.url}/v1/domains/${DOMAIN}/events`)).status).toBe(401);
  });

  it("bounds the number of clients per domain with 429, and shutdown ends the streams promptly", async () => {
    const clients = Array.from({ length: 20 }, () => tail(svc, DOMAIN));
    await Promise.all(clients.map((c) => c.opened));
    const refused = await fetch(`${svc.url}/v1/domains/${DOMAIN}/events`, { headers: { authorization: `Bearer ${svc.token}` } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.code).toBe("RateLimited");
    const { code } = await svc.stop();
    expect(code).toBe(0);
    await Promise.all(clients.map((c) => c.close()));
  });
});
