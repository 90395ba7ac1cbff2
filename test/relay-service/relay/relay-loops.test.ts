import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { freePort, publishRtmp, rtmpDestination, tmpDir, waitFor } from "../../helpers/relay";

const PUBLIC_HOST = "relay.example.test";

/** This machine's own non-loopback IPv4 address, when it has one. */
const interfaceAddress = () =>
  Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

describe("relay loops are refused at the API; a working chain a → b → listener stays up (real service, real ffmpeg)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let port: number;
  const dir = tmpDir("liverelay-loops-");

  beforeAll(async () => {
    svc = await startService({ args: ["--public-host", `other.example.test,${PUBLIC_HOST}`] });
    call = apiClient(svc);
    port = Number(svc.ready.rtmpPort);
  });
  afterAll(() => svc?.stop());

  const create = (domain: string, streamName: string, destinationUrl: string, over: Record<string, unknown> = {}) =>
    call("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always", ...over });
  const status = async (domain: string, id: string) => (await call("GET", `/v1/domains/${domain}/relay-templates/${id}/status`)).body;
  const relaying = (domain: string, id: string) => waitFor(`${id} relaying`, async () => (await status(domain, id)).state === "relaying", 20_000);

  it("every loopback and self spelling of the ingest is refused with 409 RelayLoop naming the template; the chain keeps relaying", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "chain.flv"));
    const ab = await create("a.example.com", "chain", `rtmp://127.0.0.1:${port}/live/chain?vhost=b.example.com`);
    expect(ab.status).toBe(201);
    const bOut = await create("b.example.com", "chain", dest.url);
    expect(bOut.status).toBe(201);
    const pub = publishRtmp(`rtmp://127.0.0.1:${port}/live/chain?vhost=a.example.com`, { seconds: 25 });
    await relaying("a.example.com", ab.body.id);
    await relaying("b.example.com", bOut.body.id);

    const spellings = ["127.1", "127.0.0.2", "0x7f.1", "2130706433", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost", "LocalHost.", PUBLIC_HOST];
    const own = interfaceAddress();
    if (own) spellings.push(own);
    for (const host of spellings) {
      const res = await create("b.example.com", "chain", `rtmp://${host}:${port}/live/chain?vhost=a.example.com`);
      expect({ host, status: res.status, code: res.body?.error?.code }).toEqual({ host, status: 409, code: "RelayLoop" });
      expect(res.body.error.message).toContain(ab.body.id);
      expect(res.body.error.message).toContain("b.example.com/live/chain → a.example.com/live/chain → b.example.com/live/chain");
    }
    // A relay into its own source, too.
    const self = await create("a.example.com", "chain", `rtmp://127.1:${port}/live/chain?vhost=a.example.com`);
    expect({ status: self.status, code: self.body.error?.code }).toEqual({ status: 409, code: "RelayLoop" });

    // Nothing was created, and the healthy chain never left `relaying`.
    expect((await call("GET", "/v1/domains/b.example.com/relay-templates")).body.items).toHaveLength(1);
    const sizeBefore = await waitFor("the listener writing", () => fs.existsSync(dest.file) && fs.statSync(dest.file).size, 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    for (const [domain, id] of [["a.example.com", ab.body.id], ["b.example.com", bOut.body.id]]) {
      const s = await status(domain, id);
      expect({ id, state: s.state, restarts: s.restarts, lastError: s.lastError }).toEqual({ id, state: "relaying", restarts: 0, lastError: undefined });
    }
    await waitFor("the listener's file growing", () => fs.statSync(dest.file).size > sizeBefore, 15_000);
    await pub.kill();
  }, 90_000);

  it("windows decide: a loop whose windows never overlap is accepted; a PATCH that makes them overlap is refused", async () => {
    const at = (h: number) => {
      const d = new Date(Date.now() + 86_400_000);
      d.setUTCHours(h, 0, 0, 0);
      return d.toISOString();
    };
    const window = (start: number, end: number) => ({ mode: "time", startTime: at(start), endTime: at(end) });
    const pq = await create("p.example.com", "show", `rtmp://127.0.0.1:${port}/live/show?vhost=q.example.com`, window(10, 11));
    expect(pq.status).toBe(201);
    const qp = await create("q.example.com", "show", `rtmp://localhost:${port}/live/show?vhost=p.example.com`, window(12, 13));
    expect(qp.status).toBe(201);
    const patch = (body: Record<string, unknown>) => call("PATCH", `/v1/domains/q.example.com/relay-templates/${qp.body.id}`, body);
    const overlapping = await patch({ startTime: at(10), endTime: at(12) });
    expect({ status: overlapping.status, code: overlapping.body.error?.code }).toEqual({ status: 409, code: "RelayLoop" });
    expect(overlapping.body.error.message).toContain(pq.body.id);
    const always = await patch({ mode: "always" });
    expect({ status: always.status, code: always.body.error?.code }).toEqual({ status: 409, code: "RelayLoop" });
    // The refused PATCHes changed nothing; one that keeps the windows apart is fine.
    expect(Date.parse((await call("GET", `/v1/domains/q.example.com/relay-templates/${qp.body.id}`)).body.startTime)).toBe(Date.parse(at(12)));
    expect((await patch({ description: "still apart", endTime: at(14) })).status).toBe(200);
  });
});

describe("a loop that appears after the fact (a new --public-host) stops only the template that closes it", () => {
  it("after a restart with --public-host, the older a → b keeps relaying and only the newer b → a is error/RelayLoop", async () => {
    const dataDir = tmpDir("liverelay-loops-restart-");
    const rtmpPort = String(await freePort());
    const first = await startService({ dataDir, args: ["--rtmp-port", rtmpPort] });
    const call1 = apiClient(first);
    const create = (c: typeof call1, domain: string, destinationUrl: string) =>
      c("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName: "late", destinationUrl, mode: "always" });
    const ab = await create(call1, "a.example.com", `rtmp://127.0.0.1:${rtmpPort}/live/late?vhost=b.example.com`);
    // Not yet known as this service: accepted.
    const ba = await create(call1, "b.example.com", `rtmp://${PUBLIC_HOST}:${rtmpPort}/live/late?vhost=a.example.com`);
    expect([ab.status, ba.status]).toEqual([201, 201]);
    await first.stop();

    const svc = await startService({ dataDir, args: ["--rtmp-port", rtmpPort, "--public-host", PUBLIC_HOST] });
    try {
      const call = apiClient(svc);
      const status = async (domain: string, id: string) => (await call("GET", `/v1/domains/${domain}/relay-templates/${id}/status`)).body;
      const pub = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/late?vhost=a.example.com`, { seconds: 12 });
      await waitFor("a → b relaying", async () => (await status("a.example.com", ab.body.id)).state === "relaying", 20_000);
      const loop = await waitFor("b → a flagged", async () => {
        const s = await status("b.example.com", ba.body.id);
        return s.state === "error" && s;
      }, 10_000);
      expect(loop.lastError.code).toBe("RelayLoop");
      await new Promise((r) => setTimeout(r, 1_500));
      const healthy = await status("a.example.com", ab.body.id);
      expect({ state: healthy.state, lastError: healthy.lastError }).toEqual({ state: "relaying", lastError: undefined });
      await pub.kill();
    } finally {
      await svc.stop();
    }
  }, 90_000);
});
