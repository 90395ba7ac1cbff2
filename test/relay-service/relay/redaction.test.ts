import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { freePort, publishRtmp, waitFor } from "../../helpers/relay";

const DOMAIN = "keys.example.com";

describe("stream keys stay out of status, metrics, events and logs (real service, real failures)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(() => svc?.stop());

  it("failing destinations of every shape: lastError, /relays, /metrics and the log never show the key or the query", async () => {
    const closed = await freePort(); // nothing listens: every relay fails
    const destinations = [
      { url: `rtmp://[::1]:${closed}/live/SECRETKEYONE`, secrets: ["SECRETKEYONE"] },
      { url: `rtmp://127.0.0.1:${closed}/live/SECRETKEYTWO?streamkey=SECRETQUERYTWO`, secrets: ["SECRETKEYTWO", "SECRETQUERYTWO"] },
      { url: `rtmps://127.0.0.1:${closed}/rtmp/FB-SECRETTHREE?s_bl=1&s_psm=1&a=SECRETFBA`, secrets: ["FB-SECRETTHREE", "SECRETFBA"] },
      { url: `rtmp://127.0.0.1:${closed}/live/SECRETKEYFOUR/more?token=SECRETTOKENFOUR`, secrets: ["SECRETKEYFOUR", "more", "SECRETTOKENFOUR"] },
    ];
    const ids: string[] = [];
    for (const d of destinations) {
      const res = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName: "show", destinationUrl: d.url, mode: "always" });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/show?vhost=${DOMAIN}`, { seconds: 8 });
    const statuses = await waitFor("every relay failed once", async () => {
      const all = await Promise.all(ids.map(async (id) => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${id}/status`)).body));
      return all.every((s) => s.lastError?.code === "ConnectionRefused") && all;
    }, 30_000, 250);
    await pub.kill();

    const list = JSON.stringify((await call("GET", `/v1/domains/${DOMAIN}/relays`)).body);
    const metrics = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${svc.token}` } })).text();
    const logs = svc.output.join("\n");
    for (const secret of destinations.flatMap((d) => d.secrets)) {
      for (const [where, text] of [["status", JSON.stringify(statuses)], ["relays list", list], ["metrics", metrics], ["log", logs]]) {
        expect({ where, leaked: text.includes(secret) ? secret : null }).toEqual({ where, leaked: null });
      }
    }
    // The errors still say where: scheme, host, port and app survive.
    expect(statuses[0].lastError.message).toContain(`[::1]:${closed}/live/***`);
  });
});
