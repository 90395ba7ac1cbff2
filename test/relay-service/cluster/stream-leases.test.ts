import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SqliteStore } from "../../../relay-service/src/store/sqlite/sqlite-store";
import { StreamHub } from "../../../relay-service/src/hub/stream-hub";
import { StreamLeases, LEASE_MS } from "../../../relay-service/src/cluster/stream-leases";
import { ClusterNode } from "../../../relay-service/src/cluster/cluster-node";
import type { ClusterStore } from "../../../relay-service/src/store/cluster";
import type { PeerIngest } from "../../../relay-service/src/relay/relay-loops";

const logger = pino({ level: "silent" });
const KEY = { domain: "leases.example.com", appName: "live", streamName: "show" };
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe("stream leases: a node admits at once and keeps a stream only if the store grants it the lease", () => {
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const s of stores.splice(0)) await s.close();
  });
  const setup = (nodeId = "here", store?: ClusterStore) => {
    const sqlite = new SqliteStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "leases-")), "db.sqlite"));
    stores.push(sqlite);
    const hub = new StreamHub();
    const leases = new StreamLeases({ store: store ?? sqlite.cluster, nodeId, hub, logger, mayTakeOver: () => false, describe: (s) => s.describe() });
    leases.start();
    let changes = 0;
    leases.on("change", () => changes++);
    return { sqlite, hub, leases, changes: () => changes };
  };
  const otherClaims = (store: ClusterStore, takeover = false) =>
    store.claimStream({ key: KEY, nodeId: "there", sessionId: "s-there", info: { appName: "live", streamName: "show", protocol: "rtmp", videoCodec: null, audioCodec: null, width: null, height: null, bitrateKbps: 0, startedAt: "" }, leaseMs: LEASE_MS, takeover });

  it("a free stream is claimed: relays may run here once the claim is confirmed, and the end releases it", async () => {
    const { sqlite, hub, leases, changes } = setup();
    const stream = hub.publish(KEY, "rtmp")!;
    expect(leases.holds(stream)).toBe(false); // not before the store said so
    await until("the claim", () => leases.holds(stream));
    expect(changes()).toBe(1);
    expect((await sqlite.cluster.listStreams()).map((l) => l.nodeId)).toEqual(["here"]);
    hub.unpublish(stream);
    await leases.settled();
    expect(await sqlite.cluster.listStreams()).toEqual([]);
  });

  it("a stream another node holds: the gate's cache names it, and a publish admitted anyway is ended when its claim loses", async () => {
    const { sqlite, hub, leases } = setup();
    expect((await otherClaims(sqlite.cluster)).ok).toBe(true);
    leases.setRemote(await sqlite.cluster.listStreams());
    expect(leases.heldElsewhere(KEY)).toBe("there");
    leases.setRemote([]); // a stale cache: the publish is admitted, the store decides
    const stream = hub.publish(KEY, "rtmp")!;
    let hungUp = false;
    stream.setPublisherHangUp(() => (hungUp = true));
    await until("the session to end", () => !hub.isLive(KEY));
    expect(hungUp).toBe(true);
    expect(leases.holds(stream)).toBe(false);
    expect((await sqlite.cluster.listStreams()).map((l) => l.nodeId)).toEqual(["there"]);
  });

  it("taken over by another node: the next heartbeat ends the local session", async () => {
    const { sqlite, hub, leases } = setup();
    const stream = hub.publish(KEY, "rtmp")!;
    await until("the claim", () => leases.holds(stream));
    expect((await otherClaims(sqlite.cluster, true)).ok).toBe(true);
    const peers: PeerIngest[][] = [];
    const node = new ClusterNode({ store: sqlite.cluster, node: { id: "here", publicHosts: ["here.example.com"], rtmpPort: 1935, srtPort: 10080, httpUrl: "http://here" }, leases, relays: () => [], onPeers: (p) => peers.push(p), logger });
    await node.start();
    node.stop();
    expect(hub.isLive(KEY)).toBe(false);
    expect(peers).toEqual([]); // "there" never beat: not a node
  });

  it("a store outage shorter than the lease keeps the stream; a longer one gives it up", async () => {
    let down = false;
    const failing = (store: ClusterStore): ClusterStore =>
      new Proxy(store, { get: (target, prop) => (down && typeof prop === "string" && prop !== "then" ? () => Promise.reject(new Error("store unreachable")) : Reflect.get(target, prop)) });
    const sqlite = new SqliteStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "leases-")), "db.sqlite"));
    stores.push(sqlite);
    const store = failing(sqlite.cluster);
    const hub = new StreamHub();
    const leases = new StreamLeases({ store, nodeId: "here", hub, logger, mayTakeOver: () => false, describe: (s) => s.describe() });
    leases.start();
    const stream = hub.publish(KEY, "rtmp")!;
    await until("the claim", () => leases.holds(stream));
    const node = new ClusterNode({ store, node: { id: "here", publicHosts: [], rtmpPort: 1, srtPort: 2, httpUrl: "http://here" }, leases, relays: () => [], onPeers: () => {}, logger });
    await node.start();
    node.stop();
    down = true;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + LEASE_MS - 1_000);
    await (node as unknown as { beat(): Promise<void> }).beat();
    expect(leases.holds(stream)).toBe(true);
    vi.setSystemTime(Date.now() + 2_000);
    await (node as unknown as { beat(): Promise<void> }).beat();
    expect(hub.isLive(KEY)).toBe(false);
  });
});
