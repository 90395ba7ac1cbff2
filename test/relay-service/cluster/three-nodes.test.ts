import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { startPostgres, type PostgresServer } from "../../helpers/postgres";
import { startNginxRtmp, type NginxRtmp } from "../../helpers/nginx-rtmp";
import { publishRtmp, waitFor, type Proc } from "../../helpers/relay";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";
import { sseMessages } from "../../../sdk/src/resources/events";

/**
 * Three real service processes on one real PostgreSQL: every node serves the whole API, a
 * stream is held (and relayed) by the node its encoder reached, and a dead node's streams come
 * back on another node when the encoder reconnects there.
 */
describe("a cluster of three nodes on one PostgreSQL", () => {
  let pg: PostgresServer;
  let nginx: NginxRtmp;
  const nodes: ServiceHandle[] = [];
  const publishers: Proc[] = [];
  const call = (i: number) => apiClient(nodes[i]);
  const ingest = (i: number) => `rtmp://127.0.0.1:${nodes[i].ready.rtmpPort}`;
  const publish = (i: number, path: string, seconds: number) => {
    const p = publishRtmp(`${ingest(i)}/${path}`, { seconds });
    publishers.push(p);
    return p;
  };

  /** Like an encoder behind a load balancer: publishes again while it is refused (the old lease is still live somewhere). */
  const publishUntilAdmitted = async (i: number, path: string, seconds: number, live: () => Promise<boolean>) => {
    for (;;) {
      const p = publish(i, path, seconds);
      const admitted = await Promise.race([p.exited.then(() => false), waitFor("admitted", live, 3_000).then(() => true, () => false)]);
      if (admitted) return p;
      await p.kill("SIGKILL");
    }
  };

  /** The live tail (SSE) of one node: what it received so far. */
  const tail = (i: number, domain: string) => {
    const abort = new AbortController();
    const received: { event?: string; data: string }[] = [];
    const done = fetch(`${nodes[i].url}/v1/domains/${domain}/events`, { headers: { authorization: `Bearer ${nodes[i].token}` }, signal: abort.signal })
      .then(async (res) => {
        for await (const m of sseMessages(res.body as unknown as AsyncIterable<Uint8Array>)) received.push(m);
      })
      .catch(() => {});
    return { received, close: async () => (abort.abort(), await done) };
  };

  beforeAll(async () => {
    [pg, nginx] = await Promise.all([startPostgres(), startNginxRtmp({ record: false })]);
    const url = await pg.createDatabase("cluster");
    // Started together: the migrations run once, under the advisory lock.
    nodes.push(...(await Promise.all([1, 2, 3].map((n) => startService({ env: { LIVERELAY_STORE: url }, args: ["--node-id", `n${n}`] })))));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.kill("SIGKILL")));
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([nginx?.stop(), pg?.stop()]);
  });

  it("230 concurrent creates into one domain spread over the nodes: exactly 200 created, 30 QuotaExceeded", async () => {
    const domain = "quota.example.com";
    const results = await Promise.all(
      Array.from({ length: 230 }, (_, i) => call(i % 3)("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName: `s${i}`, destinationUrl: `rtmp://dest.example.com/live/k${i}`, mode: "always" })),
    );
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 200, 409: 30 });
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === "QuotaExceeded")).toBe(true);
    for (let i = 0; i < 3; i++) expect((await call(i)("GET", `/v1/domains/${domain}/quota`)).body.destinationUrls).toEqual({ used: 200, limit: 200 });
  }, 60_000);

  it("the same Idempotency-Key sent to two nodes at once creates one template", async () => {
    const domain = "idem.example.com";
    const body = { appName: "live", streamName: "once", destinationUrl: "rtmp://dest.example.com/live/once", mode: "always" };
    const [a, b] = await Promise.all([0, 1].map((i) => call(i)("POST", `/v1/domains/${domain}/relay-templates`, body, { "idempotency-key": "cluster-once" })));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
    expect((await call(2)("GET", `/v1/domains/${domain}/relay-templates`)).body.items).toHaveLength(1);
  });

  it("ingest auth set on node 1 is enforced on node 3's next publish", async () => {
    const domain = "auth.example.com";
    const key = "cluster-signing-key-0123456789";
    expect((await call(0)("PUT", `/v1/domains/${domain}/ingest-auth`, { key })).status).toBe(200);
    const unsigned = publish(2, `live/show?vhost=${domain}`, 3);
    expect(await unsigned.exited).not.toBe(0);
    const authKey = signAuthKey({ appName: "live", streamName: "show", key, expiresAt: new Date(Date.now() + 600_000) });
    const signed = publish(2, `live/show?vhost=${domain}&auth_key=${authKey}`, 3);
    await waitFor("the signed stream, listed on node 1 as node 3's", async () => {
      const items = (await call(0)("GET", `/v1/domains/${domain}/streams`)).body.items as { streamName: string; nodeId: string }[];
      return items.some((s) => s.streamName === "show" && s.nodeId === "n3");
    });
    expect(await signed.exited).toBe(0);
  });

  it("publisher takeover across nodes: a signed publish on node 3 takes node 1's stream, and node 1 hangs its publisher up", async () => {
    const domain = "takeover.example.com";
    const key = "takeover-signing-key-0123456789";
    expect((await call(0)("PUT", `/v1/domains/${domain}/ingest-auth`, { key })).status).toBe(200);
    expect((await call(1)("PUT", `/v1/domains/${domain}/ingest-settings`, { publisherTakeover: true })).status).toBe(200);
    const signed = () => `live/show?vhost=${domain}&auth_key=${signAuthKey({ appName: "live", streamName: "show", key, expiresAt: new Date(Date.now() + 600_000) })}`;
    const holder = async () => ((await call(1)("GET", `/v1/domains/${domain}/streams`)).body.items as { nodeId: string }[]).map((s) => s.nodeId);
    const first = publish(0, signed(), 30);
    await waitFor("node 1 holds the stream", async () => (await holder()).join() === "n1");
    const second = publish(2, signed(), 30);
    await waitFor("node 3 holds it", async () => (await holder()).join() === "n3");
    await Promise.race([first.exited, new Promise((_, reject) => setTimeout(() => reject(new Error("node 1 kept its publisher")), 10_000))]);
    expect(second.child.exitCode).toBeNull();
    await second.kill("SIGKILL");
  }, 60_000);

  describe("create on node 1, publish on node 2, status from node 3; then node 2 dies", () => {
    const domain = "shows.example.com";
    let templateId: string;
    const status = async (i: number) => (await call(i)("GET", `/v1/domains/${domain}/relay-templates/${templateId}/status`)).body;
    const streams = async (i: number) => (await call(i)("GET", `/v1/domains/${domain}/streams`)).body.items as { streamName: string; nodeId: string; videoCodec: string }[];
    const sinkBytes = async () => (await nginx.streams("sink")).get("cluster")?.bytesIn ?? 0;

    it("the holding node relays to nginx-rtmp; every node reports the same status and stream; node 1's live tail gets every node's events once", async () => {
      const events = tail(0, domain);
      await new Promise((r) => setTimeout(r, 300)); // the tail starts from "now"
      const created = await call(0)("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName: "show", destinationUrl: `${nginx.rtmpUrl}/sink/cluster`, mode: "always" });
      expect(created.status).toBe(201);
      templateId = created.body.id;
      await waitFor("node 3 knows the template", async () => (await status(2)).state === "waiting");
      publish(1, `live/show?vhost=${domain}`, 60);
      const relaying = await waitFor("relaying, as seen from node 3", async () => {
        const s = await status(2);
        return s.state === "relaying" && s.bytesOut > 0 && s;
      });
      expect(relaying.restarts).toBe(0);
      expect((await call(0)("GET", `/v1/domains/${domain}/relays`)).body.items).toEqual([expect.objectContaining({ templateId, state: "relaying" })]);
      for (const i of [0, 1, 2]) expect(await streams(i)).toEqual([expect.objectContaining({ streamName: "show", nodeId: "n2", videoCodec: "h264" })]);
      await waitFor("nginx-rtmp receives the relay", async () => (await sinkBytes()) > 100_000);
      // Already live, cluster-wide: the same key on node 3 is refused, and node 2 keeps it.
      const second = publish(2, `live/show?vhost=${domain}`, 5);
      expect(await second.exited).not.toBe(0);
      expect((await streams(0)).map((s) => s.nodeId)).toEqual(["n2"]);
      const metrics = await call(1)("GET", "/metrics");
      expect(metrics.body).toMatch(/liverelay_relays\{state="relaying",node="n2"\} 1/);
      await waitFor("the relay's events on node 1's tail", () => events.received.some((m) => m.event === "relay.state_changed" && JSON.parse(m.data).data.to === "relaying"));
      await new Promise((r) => setTimeout(r, 1_000)); // a duplicate from another node would arrive by now
      await events.close();
      const transitions = events.received.filter((m) => m.event === "relay.state_changed").map((m) => JSON.parse(m.data).data as { from: string; to: string });
      expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["inactive>waiting", "waiting>starting", "starting>relaying"]);
      expect(events.received.filter((m) => m.event === "stream.started")).toHaveLength(1);
      expect(events.received.filter((m) => m.event === "relay_template.created")).toHaveLength(1);
    }, 60_000);

    it("the database goes away for a few seconds (less than a lease): node 2 keeps relaying throughout, and keeps the stream after", async () => {
      const bytesBefore = await sinkBytes();
      await pg.restart({ downMs: 4_000 });
      expect(await sinkBytes()).toBeGreaterThan(bytesBefore + 50_000); // media flowed while the store was down
      // Every node: one that saw the outage answers 503 until its next store health check (1 s) passes.
      const ready = await waitFor("every node ready again", async () => (await Promise.all(nodes.map((n) => fetch(`${n.url}/readyz`)))).every((r) => r.status === 200), 20_000);
      expect(ready).toBe(true);
      await waitFor("node 3 reads node 2's relay as relaying again", async () => (await status(2)).state === "relaying", 20_000);
      expect((await streams(0)).map((s) => s.nodeId)).toEqual(["n2"]);
      expect(nodes[1].logs().some((l) => l.msg === "publish ended: this node does not hold the stream")).toBe(false);
    }, 60_000);

    it("SIGKILL node 2: its lease expires and the stream leaves /streams; the encoder republishing to node 3 gets the relay running there", async () => {
      await nodes[1].kill();
      await waitFor("nginx-rtmp sees the dead node's relay go", async () => !(await nginx.streams("sink")).has("cluster"));
      await waitFor("the stream gone from node 1's /streams", async () => (await streams(0)).length === 0, 20_000, 250);
      expect((await status(2)).state).toBe("waiting");
      await publishUntilAdmitted(2, `live/show?vhost=${domain}`, 60, async () => (await streams(2)).some((s) => s.nodeId === "n3"));
      await waitFor("relaying again, now from node 3, as seen from node 1", async () => {
        const s = await status(0);
        return s.state === "relaying" && s;
      }, 20_000);
      expect((await streams(0)).map((s) => s.nodeId)).toEqual(["n3"]);
      await waitFor("nginx-rtmp receives the relay again", async () => (await sinkBytes()) > 100_000);
    }, 60_000);
  });
});
