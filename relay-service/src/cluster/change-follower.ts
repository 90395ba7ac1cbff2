import type { Logger } from "pino";
import type { StoreChange, StoreChanges } from "../store/changes";

/** What each kind of change makes a node reload; every method re-reads the store itself. */
export interface ChangeConsumers {
  relayTemplate(domain: string, id: string): Promise<void>;
  ingestAuth(domain: string): Promise<void>;
  ingestSettings(domain: string): Promise<void>;
  mediaConfigs(): void;
  webhook(domain: string, id: string): Promise<void>;
  eventsAppended(domain: string, lastSeq: number): void;
  /** Changes may have been missed: reload everything. */
  resync(): Promise<void>;
}

/**
 * Makes this node act on every committed write, its own and every other node's: the store's
 * change feed (in-process for SQLite, LISTEN/NOTIFY for PostgreSQL) drives the relay
 * supervisor, the publish gate's caches, the media supervisor, the webhook workers and the live
 * tail. The API's own post-write refresh stays as well: the node that answered a write applies it
 * before it answers (read-your-writes there); the feed brings it to the others, and again here,
 * which is harmless.
 */
export function followStoreChanges(changes: StoreChanges, consumers: ChangeConsumers, logger: Logger): () => void {
  return changes.on((change) => {
    applyChange(consumers, change).catch((err: unknown) => logger.error({ err, change: change.kind }, "applying a store change failed"));
  });
}

async function applyChange(c: ChangeConsumers, change: StoreChange): Promise<void> {
  switch (change.kind) {
    case "relay-template":
      return c.relayTemplate(change.domain, change.id);
    case "ingest-auth":
      return c.ingestAuth(change.domain);
    case "ingest-settings":
      return c.ingestSettings(change.domain);
    case "media-config":
      return c.mediaConfigs();
    case "webhook":
      return c.webhook(change.domain, change.id);
    case "events-appended":
      return c.eventsAppended(change.domain, change.lastSeq);
    case "resync":
      return c.resync();
  }
}
