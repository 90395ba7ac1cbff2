import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, waitFor } from "../../helpers/relay";
import { startNginxRtmp, type NginxRtmp } from "../../helpers/nginx-rtmp";

const BIG = "big.example.com";
const OTHER = "other.example.com";
const TEMPLATES = 200;

/** Slowest /healthz answer while `work` runs, polling back to back. */
async function slowestHealthz(url: string, work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true));
  let worst = 0;
  while (!done) {
    const t0 = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    worst = Math.max(worst, performance.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  return worst;
}

describe(`${TEMPLATES} always-on templates on one stream`, () => {
  let svc: ServiceHandle;
  let nginx: NginxRtmp;

  beforeAll(async () => {
    nginx = await startNginxRtmp({ record: false });
    svc = await startService();
  });
  afterAll(async () => {
    await svc?.stop();
    await nginx?.stop();
  });

  it("all relay while another domain's publisher stays connected and /healthz stays responsive", async () => {
    const call = apiClient(svc);
    const ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}`;
    for (let i = 0; i < TEMPLATES; i++) {
      const res = await call("POST", `/v1/domains/${BIG}/relay-templates`, { appName: "live", streamName: "show", destinationUrl: `${nginx.rtmpUrl}/sink/k${i}`, mode: "always" });
      expect(res.status).toBe(201);
    }
    const other = publishRtmp(`${ingest}/live/other?vhost=${OTHER}`, { seconds: 120, size: "320x180" });
    await waitFor("other domain live", async () => (await call("GET", `/v1/domains/${OTHER}/streams`)).body.items.length === 1);

    const big = publishRtmp(`${ingest}/live/show?vhost=${BIG}`, { seconds: 120, size: "320x180" });
    const allRelaying = waitFor(`${TEMPLATES} relaying`, async () => {
      const items = (await call("GET", `/v1/domains/${BIG}/relays?limit=500`)).body.items as { state: string }[];
      return items.filter((r) => r.state === "relaying").length === TEMPLATES;
    }, 120_000, 500);
    const worstHealthzMs = await slowestHealthz(svc.url, allRelaying);
    await allRelaying;
    await waitFor("nginx receives every stream", async () => (await nginx.streams()).size === TEMPLATES, 60_000, 500);

    // the other tenant was never cut off, and the service answered throughout
    expect(other.child.exitCode).toBeNull();
    expect((await call("GET", `/v1/domains/${OTHER}/streams`)).body.items).toHaveLength(1);
    expect(worstHealthzMs).toBeLessThan(2_000); // was 8.7–37 s with one synchronous spawn per relay; generous for 2 shared cores
    const metrics = (await call("GET", "/metrics")).body as string;
    expect(metrics).toMatch(/liverelay_nodejs_eventloop_lag_p99_seconds \d/); // perf_hooks.monitorEventLoopDelay
    expect((await call("GET", `/v1/domains/${BIG}/relays?limit=500`)).body.items.every((r: { restarts: number }) => r.restarts === 0)).toBe(true);
    await big.kill();
    await other.kill();
  }, 240_000);
});
