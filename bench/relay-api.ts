import type { BenchService } from "./service-process";

export const BENCH_DOMAIN = "bench.example.com";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The few API calls the relay benchmarks make: relay templates for one stream, their states, the live streams. */
export class RelayApi {
  constructor(private readonly svc: BenchService) {}

  async call(method: string, p: string, body?: unknown) {
    const res = await fetch(this.svc.url + p, {
      method,
      headers: { authorization: `Bearer ${this.svc.token}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.status === 204 ? null : res.json();
  }

  async createRelays(n: number, dest: (i: number) => string, streamName = "show"): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = (await this.call("POST", `/v1/domains/${BENCH_DOMAIN}/relay-templates`, { appName: "live", streamName, destinationUrl: dest(i), mode: "always" })) as { id: string };
      ids.push(t.id);
    }
    return ids;
  }

  async deleteAll(ids: string[]) {
    for (const id of ids) await this.call("DELETE", `/v1/domains/${BENCH_DOMAIN}/relay-templates/${id}`);
  }

  async waitRelaying(n: number, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = (await this.call("GET", `/v1/domains/${BENCH_DOMAIN}/relays`)) as { items: { state: string }[] };
      if (list.items.filter((r) => r.state === "relaying").length >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${list.items.filter((r) => r.state === "relaying").length}/${n} relays relaying`);
      await sleep(250);
    }
  }

  /** The ingest bitrate the hub measures for a live stream (5 s window), 0 when it is not live. */
  async streamKbps(streamName: string): Promise<number> {
    const list = (await this.call("GET", `/v1/domains/${BENCH_DOMAIN}/streams`)) as { items: { streamName: string; bitrateKbps: number }[] };
    return list.items.find((s) => s.streamName === streamName)?.bitrateKbps ?? 0;
  }
}
