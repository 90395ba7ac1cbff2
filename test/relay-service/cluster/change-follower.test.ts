import pino from "pino";
import { describe, expect, it } from "vitest";
import { ChangeFeed } from "../../../relay-service/src/store/changes";
import { followStoreChanges, type ChangeConsumers } from "../../../relay-service/src/cluster/change-follower";

describe("following the store's change feed", () => {
  it("each change reaches its consumer; a failing consumer does not stop the next change; unsubscribing stops it", async () => {
    const feed = new ChangeFeed();
    const calls: unknown[][] = [];
    const record = (name: string) => async (...args: unknown[]) => void calls.push([name, ...args]);
    const consumers: ChangeConsumers = {
      relayTemplate: async (domain, id) => {
        calls.push(["relayTemplate", domain, id]);
        if (id === "boom") throw new Error("store read failed");
      },
      ingestAuth: record("ingestAuth"),
      ingestSettings: record("ingestSettings"),
      mediaConfigs: () => void calls.push(["mediaConfigs"]),
      webhook: record("webhook"),
      eventsAppended: (domain, seq) => void calls.push(["eventsAppended", domain, seq]),
      resync: record("resync"),
    };
    const stop = followStoreChanges(feed, consumers, pino({ level: "silent" }));
    feed.emit({ kind: "relay-template", op: "created", domain: "a.example.com", id: "boom" });
    feed.emit({ kind: "relay-template", op: "deleted", domain: "a.example.com", id: "rt_1" });
    feed.emit({ kind: "ingest-auth", domain: "a.example.com" });
    feed.emit({ kind: "ingest-settings", domain: "b.example.com" });
    feed.emit({ kind: "media-config", config: "snapshot", domain: "a.example.com" });
    feed.emit({ kind: "webhook", domain: "a.example.com", id: "wh_1" });
    feed.emit({ kind: "events-appended", domain: "a.example.com", lastSeq: 42 });
    feed.emit({ kind: "resync" });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([
      ["relayTemplate", "a.example.com", "boom"],
      ["relayTemplate", "a.example.com", "rt_1"],
      ["ingestAuth", "a.example.com"],
      ["ingestSettings", "b.example.com"],
      ["mediaConfigs"],
      ["webhook", "a.example.com", "wh_1"],
      ["eventsAppended", "a.example.com", 42],
      ["resync"],
    ]);
    stop();
    feed.emit({ kind: "resync" });
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(8);
  });
});
