import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import pino from "pino";
import { PostgresStore } from "../../../relay-service/src/store/postgres/pg-store";
import { PG_MIGRATIONS } from "../../../relay-service/src/store/postgres/migrations";
import { openStore } from "../../../relay-service/src/store/open-store";
import { StoreUnavailableError } from "../../../relay-service/src/store/store";
import type { StoreChange } from "../../../relay-service/src/store/changes";
import { startPostgres, type PostgresServer } from "../../helpers/postgres";
import { storeContract } from "./store-contract";

const logger = pino({ level: "silent" });
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

describe("Store contract: PostgreSQL", () => {
  storeContract({
    sharedChanges: true, // every node hears every node's writes (LISTEN/NOTIFY)
    async freshData() {
      const url = await pg.createDatabase();
      return () => PostgresStore.open(url, logger);
    },
  });
});

describe("PostgreSQL store", () => {
  it("migrates once when three nodes start together on a fresh database", async () => {
    const url = await pg.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(url, logger)));
    try {
      const admin = new Client({ connectionString: url });
      await admin.connect();
      const { rows } = await admin.query("SELECT version FROM schema_migrations ORDER BY version");
      await admin.end();
      expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      // Each works on the one schema.
      const r = await stores[2].createRelayTemplate({ domain: "m.example.com", fields: { appName: "a", streamName: "s", destinationUrl: "rtmp://x.example.com/a/k", mode: "always", startTime: null, endTime: null, description: null, protocolConversion: false }, maxPerDomain: 5, now: new Date() });
      expect(r.kind).toBe("created");
      expect(await stores[0].countRelayTemplates("m.example.com")).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("fails clearly while the database is down, recovers without a reopen, keeps every acknowledged write, and resynchronises its listener", async () => {
    const url = await pg.createDatabase();
    const store = await PostgresStore.open(url, logger);
    const changes: StoreChange[] = [];
    store.changes.on((c) => changes.push(c));
    try {
      const domain = "outage.example.com";
      const make = (i: number) =>
        store.createRelayTemplate({ domain, fields: { appName: "a", streamName: `s${i}`, destinationUrl: "rtmp://x.example.com/a/k", mode: "always", startTime: null, endTime: null, description: null, protocolConversion: false }, maxPerDomain: 1000, now: new Date() });
      // Writes keep coming while the server restarts: those acknowledged must all be there afterwards.
      const acknowledged: string[] = [];
      let refused = 0;
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await make(i);
            if (r.kind === "created") acknowledged.push(r.template.id);
          } catch (err) {
            expect(err).toBeInstanceOf(StoreUnavailableError);
            refused++;
            await new Promise((res) => setTimeout(res, 50));
          }
        }
      })();
      await waitFor(() => acknowledged.length >= 5);
      const down = pg.restart({ downMs: 2_500 });
      await waitFor(() => !store.isOpen());
      await expect(store.getRelayTemplate(domain, "rt_x")).rejects.toThrow(StoreUnavailableError);
      await down;
      await waitFor(() => store.isOpen());
      const countAfter = acknowledged.length;
      await waitFor(() => acknowledged.length >= countAfter + 5);
      stop = true;
      await writer;
      expect(refused).toBeGreaterThan(0);
      const stored = new Set((await store.listRelayTemplates(domain, {}, { limit: 10_000 })).items.map((t) => t.id));
      for (const id of acknowledged) expect(stored.has(id)).toBe(true);
      // The listener came back, said so, and hears new writes again.
      await waitFor(() => changes.some((c) => c.kind === "resync"));
      const r = await make(99_999);
      await waitFor(() => changes.some((c) => c.kind === "relay-template" && r.kind === "created" && c.id === r.template.id));
    } finally {
      await store.close();
    }
  }, 60_000);

  it("after its listener reconnects, emits resync and announces the events appended meanwhile", async () => {
    const url = await pg.createDatabase();
    const store = await PostgresStore.open(url, logger);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const changes: StoreChange[] = [];
      const announced: string[] = [];
      store.changes.on((c) => changes.push(c));
      store.outbox.onEventsAppended((domain) => announced.push(domain));
      // An event whose notification never came (as if sent while the listener was away), then the listener's connection cut.
      await admin.query("INSERT INTO events (domain, type, occurred_at, data) VALUES ('missed.example.com', 'stream.started', $1, '{}')", [new Date().toISOString()]);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'liverelay-listen' AND datname = current_database()");
      await waitFor(() => changes.some((c) => c.kind === "resync"));
      await waitFor(() => announced.includes("missed.example.com"));
      expect(store.isOpen()).toBe(true);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("refuses to open an unreachable database with an error that shows no password", async () => {
    const url = `postgres://liverelay:hunter2-secret@127.0.0.1:${pg.port + 1}/nothing`;
    const err = await openStore({ url, dataDir: "/tmp" }, logger).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("postgres://liverelay@127.0.0.1");
    expect((err as Error).message).not.toContain("hunter2");
  });
});

async function waitFor(probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}
