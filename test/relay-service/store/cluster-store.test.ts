import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe } from "vitest";
import { SqliteStore } from "../../../relay-service/src/store/sqlite/sqlite-store";
import { PostgresStore } from "../../../relay-service/src/store/postgres/pg-store";
import type { Store } from "../../../relay-service/src/store/store";
import { startPostgres, type PostgresServer } from "../../helpers/postgres";
import { clusterStoreContract } from "./cluster-contract";

const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe("cluster store contract: SQLite", () => {
  clusterStoreContract(async () => {
    const store = new SqliteStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cluster-store-")), "db.sqlite"));
    stores.push(store);
    return store.cluster;
  });
});

describe("cluster store contract: PostgreSQL", () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
    await pg?.stop();
  });
  clusterStoreContract(async () => {
    const store = await PostgresStore.open(await pg.createDatabase("cluster"), pino({ level: "silent" }));
    stores.push(store);
    return store.cluster;
  });
});
