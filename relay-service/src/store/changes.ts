/** Which media-processing configuration a change touched. */
export type MediaConfigKind = "transcode" | "snapshot" | "recording";

/**
 * What a committed store write changed: enough for a consumer (relay supervisor, ingest-auth
 * cache, media supervisor, live tail, webhook dispatcher) to reload what it holds of it.
 * Changes never carry secrets: a consumer reads the record back from the store.
 */
export type StoreChange =
  | { kind: "relay-template"; op: "created" | "updated" | "deleted"; domain: string; id: string }
  | { kind: "ingest-auth"; domain: string }
  | { kind: "ingest-settings"; domain: string }
  | { kind: "media-config"; config: MediaConfigKind; domain: string }
  | { kind: "webhook"; domain: string; id: string }
  | { kind: "events-appended"; domain: string; lastSeq: number }
  /** Changes may have been missed (the PostgreSQL listener reconnected): reload everything. */
  | { kind: "resync" };

/**
 * The store's change feed: told after every commit, in commit order. The SQLite store emits in
 * process; the PostgreSQL store emits what every node committed (LISTEN/NOTIFY), its own
 * writes included, so a consumer reacts the same way to a local and a remote write.
 */
export interface StoreChanges {
  /** Subscribes; returns the unsubscribe function. A listener must not throw. */
  on(listener: (change: StoreChange) => void): () => void;
}

/**
 * The emitting side, kept by the store that owns the feed. A listener that throws is reported
 * and the others are still told: the write has committed, and the PostgreSQL listener's socket
 * handler must not see the error.
 */
export class ChangeFeed implements StoreChanges {
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(private readonly onListenerError: (err: unknown, change: StoreChange) => void = defaultReport) {}

  on(listener: (change: StoreChange) => void): () => void {
    const own = (change: StoreChange) => listener(change); // the same function may subscribe twice
    this.listeners.add(own);
    return () => this.listeners.delete(own);
  }

  emit(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.onListenerError(err, change);
      }
    }
  }
}

const defaultReport = (err: unknown, change: StoreChange) => process.emitWarning(`a store change listener failed on ${change.kind}: ${(err as Error)?.message ?? String(err)}`);

/** A change as one short line of JSON (a PostgreSQL NOTIFY payload), and back; null for anything else. */
export const encodeChange = (change: StoreChange): string => JSON.stringify(change);

const CHANGE_KINDS = new Set<StoreChange["kind"]>(["relay-template", "ingest-auth", "ingest-settings", "media-config", "webhook", "events-appended", "resync"]);

export function decodeChange(payload: string): StoreChange | null {
  try {
    const value = JSON.parse(payload) as StoreChange;
    return value && typeof value === "object" && CHANGE_KINDS.has(value.kind) ? value : null;
  } catch {
    return null;
  }
}
