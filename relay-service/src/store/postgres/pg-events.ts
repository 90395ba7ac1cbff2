import type { Logger } from "pino";
import type { WebhookAttempt } from "@liverelay/api";
import type { EventOutbox, NewEvent, StoredEvent } from "../../events/outbox";
import type { DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookStore } from "../../webhooks/webhook-store";
import type { ChangeFeed } from "../changes";
import { toDelivery, toStored, toWebhook, type DeliveryRow, type EventRow, type WebhookRow } from "../rows";
import type { PgDb, Queryable } from "./pg-db";
import { notifyChange } from "./pg-changes";
import { OUTBOX_LOCK, WEBHOOK_QUOTA_SPACE } from "./pg-locks";

const PRUNE_CHUNK = 1_000;
/** How many attempts a delivery row remembers. */
const RECENT_ATTEMPTS = 10;
/** The database's clock in ms: leases compare against one clock, whatever the nodes' clocks say. */
const DB_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/**
 * The outbox in PostgreSQL. Readers tail it by `seq > last seen`, so a smaller seq must never
 * commit after a larger one: every appending transaction takes one transaction-level advisory
 * lock before it draws its seq and holds it to its commit, which makes commit order seq order.
 * Listeners hear of this node's appends at commit and of every node's through the change feed.
 */
export class PgOutbox implements EventOutbox {
  private readonly listeners: ((domain: string, lastSeq: number) => void)[] = [];
  /** The newest seq announced: after a resync, every domain with events past it is announced. */
  private announcedSeq = 0;

  constructor(
    private readonly db: PgDb,
    feed: ChangeFeed,
    private readonly logger: Logger,
  ) {
    feed.on((c) => {
      if (c.kind === "events-appended") this.announce(c.domain, c.lastSeq);
      if (c.kind === "resync") void this.announceMissed();
    });
  }

  /** Inside the caller's transaction: its last statement but the commit, as the lock is held from here to the commit. */
  async insert(q: Queryable, e: NewEvent): Promise<StoredEvent> {
    await q.query("SELECT pg_advisory_xact_lock($1)", [OUTBOX_LOCK]);
    const { rows } = await q.query<EventRow>("INSERT INTO events (domain, type, occurred_at, data) VALUES ($1, $2, $3, $4) RETURNING *", [
      e.domain,
      e.type,
      e.occurredAt,
      JSON.stringify(e.data),
    ]);
    await notifyChange(q, { kind: "events-appended", domain: e.domain, lastSeq: rows[0].seq });
    return toStored(rows[0]);
  }

  /** Tells this node's listeners right after a commit (a spurious call is harmless: they re-read the outbox). */
  announce(domain: string, lastSeq: number): void {
    this.announcedSeq = Math.max(this.announcedSeq, lastSeq);
    for (const listener of this.listeners) listener(domain, lastSeq);
  }

  /** Notifications sent while the listener was away are lost: tell of what was appended since the last one heard. */
  private async announceMissed(): Promise<void> {
    try {
      const rows = await this.db.query<{ domain: string; seq: number }>("SELECT domain, MAX(seq) AS seq FROM events WHERE seq > $1 GROUP BY domain ORDER BY 2", [this.announcedSeq]);
      for (const r of rows) this.announce(r.domain, r.seq);
    } catch (err) {
      this.logger.warn({ error: (err as Error).message }, "reading the outbox after a resync failed; consumers catch up with the next event");
    }
  }

  async appendEvent(e: NewEvent): Promise<StoredEvent> {
    const stored = await this.db.tx((q) => this.insert(q, e));
    this.announce(stored.event.domain, stored.seq);
    return stored;
  }

  onEventsAppended(listener: (domain: string, lastSeq: number) => void): void {
    this.listeners.push(listener);
  }

  async eventsAfter(domain: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return (await this.db.query<EventRow>("SELECT * FROM events WHERE domain = $1 AND seq > $2 ORDER BY seq LIMIT $3", [domain, afterSeq, limit])).map(toStored);
  }

  async getEvent(seq: number): Promise<StoredEvent | null> {
    const [row] = await this.db.query<EventRow>("SELECT * FROM events WHERE seq = $1", [seq]);
    return row ? toStored(row) : null;
  }

  async lastEventSeq(): Promise<number> {
    return lastSeq(this.db);
  }

  /** Deletes from the oldest end, a chunk at a time along the primary key (events are appended in time order): never a scan of the table. */
  async pruneEvents(before: string, keepAtMost: number): Promise<number> {
    const overCap = (await lastSeq(this.db)) - keepAtMost;
    let removed = 0;
    for (;;) {
      const rows = await this.db.query<{ n: number }>(
        `WITH oldest AS (SELECT seq FROM events ORDER BY seq LIMIT $3),
              gone AS (DELETE FROM events WHERE seq IN (SELECT seq FROM oldest) AND (occurred_at < $1 OR seq <= $2) RETURNING 1)
         SELECT COUNT(*) AS n FROM gone`,
        [before, overCap, PRUNE_CHUNK],
      );
      removed += rows[0].n;
      if (rows[0].n < PRUNE_CHUNK) return removed;
    }
  }
}

const LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) AS seq FROM events";
const lastSeq = async (db: PgDb) => (await db.query<{ seq: number }>(LAST_SEQ))[0].seq;
const lastSeqIn = async (q: Queryable) => (await q.query<{ seq: number }>(LAST_SEQ)).rows[0].seq;

/**
 * Webhooks and deliveries in PostgreSQL. Several nodes run a worker for the same webhook; the
 * delivery of an event is one row (unique per webhook and event), and an attempt is made only
 * by the node that claimed the row (a lease on the database clock), so no attempt is made twice.
 */
export class PgWebhooks implements WebhookStore {
  constructor(private readonly db: PgDb) {}

  async putWebhook(w: Omit<WebhookRecord, "cursor" | "createdAt">, maxPerDomain: number) {
    return this.db.tx(async (q) => {
      await q.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [WEBHOOK_QUOTA_SPACE, w.domain]);
      const [existing] = (await q.query<WebhookRow>("SELECT * FROM webhooks WHERE domain = $1 AND id = $2 FOR UPDATE", [w.domain, w.id])).rows;
      const [{ n }] = (await q.query<{ n: number }>("SELECT COUNT(*) AS n FROM webhooks WHERE domain = $1", [w.domain])).rows;
      if (!existing && n >= maxPerDomain) return { quotaExceeded: true as const };
      // New, or enabled again: deliveries start with the next event (a disabled webhook is not owed what it missed).
      const fresh = !existing || (!existing.enabled && w.enabled);
      const cursor = fresh ? await lastSeqIn(q) : existing.cursor;
      const { rows } = await q.query<WebhookRow>(
        `INSERT INTO webhooks (domain, id, url, events, secret, description, enabled, cursor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (domain, id) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret, description = excluded.description,
           enabled = excluded.enabled, cursor = excluded.cursor, updated_at = excluded.updated_at
         RETURNING *`,
        [w.domain, w.id, w.url, JSON.stringify(w.events), w.secret, w.description, w.enabled, cursor, existing?.created_at ?? w.updatedAt, w.updatedAt],
      );
      // Enabled again: what was queued before the pause is not owed either.
      if (existing && fresh) await q.query("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE domain = $1 AND webhook_id = $2 AND status = 'pending'", [w.domain, w.id]);
      await notifyChange(q, { kind: "webhook", domain: w.domain, id: w.id });
      return { webhook: toWebhook(rows[0]), created: !existing };
    });
  }

  async getWebhook(domain: string, id: string): Promise<WebhookRecord | null> {
    const [row] = await this.db.query<WebhookRow>("SELECT * FROM webhooks WHERE domain = $1 AND id = $2", [domain, id]);
    return row ? toWebhook(row) : null;
  }

  async listWebhooks(domain: string): Promise<WebhookRecord[]> {
    return (await this.db.query<WebhookRow>("SELECT * FROM webhooks WHERE domain = $1 ORDER BY id", [domain])).map(toWebhook);
  }

  async listAllWebhooks(): Promise<WebhookRecord[]> {
    return (await this.db.query<WebhookRow>("SELECT * FROM webhooks ORDER BY domain, id")).map(toWebhook);
  }

  async deleteWebhook(domain: string, id: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const { rowCount } = await q.query("DELETE FROM webhooks WHERE domain = $1 AND id = $2", [domain, id]);
      if (rowCount) await notifyChange(q, { kind: "webhook", domain, id });
      return Boolean(rowCount);
    });
  }

  async advanceWebhookCursor(domain: string, id: string, seq: number): Promise<void> {
    await this.db.query("UPDATE webhooks SET cursor = GREATEST(cursor, $1) WHERE domain = $2 AND id = $3", [seq, domain, id]);
  }

  async pendingDelivery(domain: string, webhookId: string): Promise<DeliveryRecord | null> {
    const [row] = await this.db.query<DeliveryRow>(
      "SELECT * FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 AND status = 'pending' ORDER BY event_seq LIMIT 1",
      [domain, webhookId],
    );
    return row ? toDelivery(row) : null;
  }

  /** Opens the delivery of an event; when another node opened it first, returns that one. */
  async createDelivery(d: Omit<DeliveryRecord, "attempts" | "recentAttempts" | "status">, keepPerWebhook: number): Promise<DeliveryRecord> {
    return this.db.tx(async (q) => {
      await q.query(
        `INSERT INTO webhook_deliveries (id, domain, webhook_id, event_seq, event_id, event_type, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) ON CONFLICT (domain, webhook_id, event_seq) DO NOTHING`,
        [d.id, d.domain, d.webhookId, d.eventSeq, d.eventId, d.eventType, d.nextAttemptAt, d.createdAt],
      );
      await q.query(
        `DELETE FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 AND status != 'pending' AND id NOT IN
           (SELECT id FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT $3)`,
        [d.domain, d.webhookId, keepPerWebhook],
      );
      const { rows } = await q.query<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 AND event_seq = $3", [d.domain, d.webhookId, d.eventSeq]);
      return toDelivery(rows[0]);
    });
  }

  async claimDelivery(deliveryId: string, leaseMs: number): Promise<DeliveryRecord | null> {
    const [row] = await this.db.query<DeliveryRow>(
      `UPDATE webhook_deliveries SET claimed_until = ${DB_NOW_MS} + $2
        WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ${DB_NOW_MS})
        RETURNING *`,
      [deliveryId, leaseMs],
    );
    return row ? toDelivery(row) : null;
  }

  async releaseDelivery(deliveryId: string): Promise<void> {
    await this.db.query("UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = $1", [deliveryId]);
  }

  async recordAttempt(deliveryId: string, attempt: WebhookAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null; advanceCursor: boolean }): Promise<DeliveryRecord | null> {
    return this.db.tx(async (q) => {
      const [row] = (await q.query<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = $1 FOR UPDATE", [deliveryId])).rows;
      if (!row) return null;
      const recent = [...(JSON.parse(row.recent_attempts) as WebhookAttempt[]), attempt].slice(-RECENT_ATTEMPTS);
      const { rows } = await q.query<DeliveryRow>(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, recent_attempts = $3, claimed_until = NULL WHERE id = $4 RETURNING *",
        [next.status, next.nextAttemptAt, JSON.stringify(recent), deliveryId],
      );
      if (next.advanceCursor) await q.query("UPDATE webhooks SET cursor = GREATEST(cursor, $1) WHERE domain = $2 AND id = $3", [row.event_seq, row.domain, row.webhook_id]);
      return toDelivery(rows[0]);
    });
  }

  async getDelivery(domain: string, webhookId: string, deliveryId: string): Promise<DeliveryRecord | null> {
    const [row] = await this.db.query<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 AND id = $3", [domain, webhookId, deliveryId]);
    return row ? toDelivery(row) : null;
  }

  async listDeliveries(domain: string, webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return (await this.db.query<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE domain = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT $3", [domain, webhookId, limit])).map(toDelivery);
  }

  async webhookBacklog(): Promise<{ events: number; oldestOccurredAt: string | null }> {
    const [row] = await this.db.query<{ events: number; oldest: string | null }>(
      `SELECT COUNT(e.seq) AS events, MIN(e.occurred_at) AS oldest
         FROM webhooks w JOIN events e ON e.domain = w.domain AND e.seq > w.cursor
        WHERE w.enabled`,
    );
    return { events: row.events, oldestOccurredAt: row.oldest };
  }
}
