import pg from "pg";
import type { Logger } from "pino";
import { decodeChange, encodeChange, type ChangeFeed, type StoreChange } from "../changes";
import type { Queryable } from "./pg-db";
import { describeStoreUrl } from "./pg-url";

/** The one NOTIFY channel every node listens on. */
export const CHANGE_CHANNEL = "liverelay_changes";
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/** Queues a change inside the caller's transaction: PostgreSQL delivers it to every listener at commit, in commit order, and never if it rolls back. */
export async function notifyChange(q: Queryable, change: StoreChange): Promise<void> {
  await q.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, encodeChange(change)]);
}

/**
 * The LISTEN side: one dedicated connection (a pooled one would be handed to queries). When it
 * breaks it reconnects with backoff and then emits `resync`, since notifications sent while it
 * was away are lost: consumers reload what they hold.
 */
export class PgChangeListener {
  private client?: pg.Client;
  private closed = false;
  private backoffMs = RECONNECT_MIN_MS;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
  ) {}

  /** The first connection; rejects when the database is unreachable (the start fails). */
  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, application_name: "liverelay-listen", connectionTimeoutMillis: 5_000 });
    client.on("notification", (msg) => {
      const change = msg.channel === CHANGE_CHANNEL ? decodeChange(msg.payload ?? "") : null;
      if (change) this.feed.emit(change);
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.client = client;
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.on("error", () => undefined); // late errors of the dead connection
    void client.end().catch(() => undefined);
    this.logger.warn({ store: describeStoreUrl(this.url), error: err?.message }, "store change listener disconnected; reconnecting");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retry = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.closed) return;
          this.backoffMs = RECONNECT_MIN_MS;
          this.logger.info({ store: describeStoreUrl(this.url) }, "store change listener reconnected; resynchronising");
          this.feed.emit({ kind: "resync" });
        },
        () => {
          this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
          if (!this.closed) this.scheduleReconnect();
        },
      );
    }, this.backoffMs);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
