import path from "node:path";
import type { Logger } from "pino";
import type { Store } from "./store";
import { SqliteStore } from "./sqlite/sqlite-store";
import { PostgresStore } from "./postgres/pg-store";
import { describeStoreUrl, urlHasPassword } from "./postgres/pg-url";

export interface StoreChoice {
  /** postgres://…: the shared PostgreSQL store; unset: the embedded SQLite file in `dataDir`. */
  url?: string;
  dataDir: string;
  /** The URL was given on the command line, which every local user can read (ps). */
  urlOnCommandLine?: boolean;
}

/** Opens the configured store; a PostgreSQL one is migrated and listening for changes when this resolves. */
export async function openStore(choice: StoreChoice, logger: Logger): Promise<Store> {
  if (!choice.url) return new SqliteStore(path.join(choice.dataDir, "liverelay.db"), logger.child({ component: "store" }));
  const shown = describeStoreUrl(choice.url);
  if (choice.urlOnCommandLine && urlHasPassword(choice.url)) {
    logger.warn({ store: shown }, "the --store URL holds a password, readable by every local user in the process list: use ~/.pgpass, PGPASSFILE or LIVERELAY_STORE instead");
  }
  try {
    const store = await PostgresStore.open(choice.url, logger.child({ component: "store" }));
    logger.info({ store: shown }, "PostgreSQL store open");
    return store;
  } catch (err) {
    // node-postgres messages name host and port at most; the URL is repeated only without its password.
    throw new Error(`cannot open the PostgreSQL store ${shown}: ${(err as Error).message}`);
  }
}
