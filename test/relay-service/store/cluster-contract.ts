import { expect, it } from "vitest";
import type { RelayStatus } from "@liverelay/api";
import type { ClusterStore, NodeRecord, StreamInfo } from "../../../relay-service/src/store/cluster";

/** The ClusterStore contract, run against every store (each call gets a fresh, empty store). */
export function clusterStoreContract(open: () => Promise<ClusterStore>): void {
  const key = (streamName = "show") => ({ domain: "cluster.example.com", appName: "live", streamName });
  const info = (bitrateKbps = 0): StreamInfo => ({
    appName: "live", streamName: "show", protocol: "rtmp", videoCodec: "h264", audioCodec: "aac", width: 640, height: 360, bitrateKbps, startedAt: new Date().toISOString(),
  });
  const node = (id: string, port = 1935): NodeRecord => ({ id, publicHosts: [`${id}.example.com`], rtmpPort: port, srtPort: port + 1, httpUrl: `http://${id}:8080` });
  const status = (templateId: string, state: RelayStatus["state"] = "relaying"): RelayStatus => ({ templateId, state, restarts: 1, since: new Date().toISOString(), bitrateKbps: 2500, fps: 30, bytesOut: 1234 });
  const claim = (store: ClusterStore, nodeId: string, sessionId: string, opts: { leaseMs?: number; takeover?: boolean; streamName?: string } = {}) =>
    store.claimStream({ key: key(opts.streamName), nodeId, sessionId, info: info(), leaseMs: opts.leaseMs ?? 10_000, takeover: opts.takeover ?? false });
  const beat = (store: ClusterStore, nodeId: string, sessions: string[], relays: { sessionId: string; templateId: string }[] = []) =>
    store.heartbeat({ node: node(nodeId), leaseMs: 10_000, sessions: sessions.map((sessionId) => ({ sessionId, info: info(3000) })), relays: relays.map((r) => ({ sessionId: r.sessionId, key: key(), status: status(r.templateId) })) });

  it("a live stream is held by one node: another is refused (naming the holder) unless it takes over, and the holder hears it lost", async () => {
    const store = await open();
    expect(await claim(store, "a", "s-a")).toEqual({ ok: true });
    expect(await claim(store, "b", "s-b")).toEqual({ ok: false, holder: "a" });
    expect((await store.listStreams("cluster.example.com")).map((l) => [l.nodeId, l.sessionId])).toEqual([["a", "s-a"]]);
    expect(await beat(store, "a", ["s-a"])).toEqual({ lost: [] });
    expect(await claim(store, "b", "s-b", { takeover: true })).toEqual({ ok: true });
    expect(await beat(store, "a", ["s-a"])).toEqual({ lost: ["s-a"] });
    expect((await store.listStreams()).map((l) => l.nodeId)).toEqual(["b"]);
  });

  it("the same node's next session replaces its own lease; an expired lease is anyone's", async () => {
    const store = await open();
    expect(await claim(store, "a", "s-1")).toEqual({ ok: true });
    expect(await claim(store, "a", "s-2")).toEqual({ ok: true });
    expect((await beat(store, "a", ["s-1", "s-2"])).lost).toEqual(["s-1"]);
    expect(await claim(store, "a", "s-3", { leaseMs: 100, streamName: "short" })).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 250));
    expect((await store.listStreams()).map((l) => l.streamName)).toEqual(["show"]);
    expect(await claim(store, "b", "s-4", { streamName: "short" })).toEqual({ ok: true });
  });

  it("of many nodes claiming one stream at once, exactly one wins", async () => {
    const store = await open();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(store, `n${i}`, `s${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const holder = (await store.listStreams())[0].nodeId;
    for (const r of results) if (!r.ok) expect(r.holder).toBe(holder);
  });

  it("the heartbeat publishes the holder's relay status, replacing the last; a release or an expired lease hides it", async () => {
    const store = await open();
    await claim(store, "a", "s-a");
    await beat(store, "a", ["s-a"], [{ sessionId: "s-a", templateId: "rt_1" }, { sessionId: "s-a", templateId: "rt_2" }]);
    let published = await store.listRelayStatus("cluster.example.com");
    expect([...published.keys()].sort()).toEqual(["rt_1", "rt_2"]);
    expect(published.get("rt_1")).toEqual({ nodeId: "a", status: expect.objectContaining({ state: "relaying", bytesOut: 1234 }) });
    await beat(store, "a", ["s-a"], [{ sessionId: "s-a", templateId: "rt_2" }]);
    published = await store.listRelayStatus("cluster.example.com");
    expect([...published.keys()]).toEqual(["rt_2"]);
    expect((await store.listStreams())[0].info.bitrateKbps).toBe(3000); // renewed with the holder's media facts
    expect((await store.listRelayStatus("other.example.com")).size).toBe(0);
    await store.releaseStream("s-a");
    expect((await store.listRelayStatus("cluster.example.com")).size).toBe(0);
    expect(await store.listStreams()).toEqual([]);
  });

  it("nodes are listed while they beat", async () => {
    const store = await open();
    await beat(store, "a", []);
    await beat(store, "b", []);
    expect((await store.listNodes(10_000)).map((n) => n.id)).toEqual(["a", "b"]);
    expect((await store.listNodes(10_000))[0]).toEqual(node("a"));
    await new Promise((r) => setTimeout(r, 120));
    await beat(store, "b", []);
    expect((await store.listNodes(100)).map((n) => n.id)).toEqual(["b"]);
  });
}
