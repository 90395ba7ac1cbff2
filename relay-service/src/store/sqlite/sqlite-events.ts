import type Database from "better-sqlite3";
import type { WebhookAttempt } from "@liverelay/api";
import type { EventOutbox, NewEvent, StoredEvent } from "../../events/outbox";
import type { DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookStore } from "../../webhooks/webhook-store";
import type { ChangeFeed } from "../changes";
import { toDelivery, toStored, toWebhook, type DeliveryRow, type EventRow, type WebhookRow } from "../rows";

const PRUNE_CHUNK = 1_000;
/** How many attempts a delivery row remembers. */
const RECENT_ATTEMPTS = 10;

type Stmt = (sql: string) => Database.Statement;

/**
 * The outbox in SQLite. `insert` is synchronous so that a store write can record its event in
 * its own transaction; listeners are told on a microtask, i.e. after that transaction committed.
 */
export class SqliteOutbox implements EventOutbox {
  private unannounced = new Map<string, number>();

  constructor(
    private readonly db: Database.Database,
    private readonly stmt: Stmt,
    private readonly changes: ChangeFeed,
  ) {}

  /** Inside the caller's transaction, if any. */
  insert(e: NewEvent): StoredEvent {
    const row = this.stmt("INSERT INTO events (domain, type, occurred_at, data) VALUES (?, ?, ?, ?) RETURNING *").get(e.domain, e.type, e.occurredAt, JSON.stringify(e.data)) as EventRow;
    if (this.unannounced.size === 0) queueMicrotask(() => this.announce());
    this.unannounced.set(e.domain, row.seq);
    return toStored(row);
  }

  private announce(): void {
    const batch = this.unannounced;
    this.unannounced = new Map();
    for (const [domain, seq] of batch) {
      // A rolled-back write leaves nothing to read: listeners re-read the outbox, so a spurious call is harmless.
      this.changes.emit({ kind: "events-appended", domain, lastSeq: seq });
    }
  }

  async appendEvent(e: NewEvent): Promise<StoredEvent> {
    return this.insert(e);
  }

  onEventsAppended(listener: (domain: string, lastSeq: number) => void): void {
    this.changes.on((c) => {
      if (c.kind === "events-appended") listener(c.domain, c.lastSeq);
    });
  }

  async eventsAfter(domain: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return (this.stmt("SELECT * FROM events WHERE domain = ? AND seq > ? ORDER BY seq LIMIT ?").all(domain, afterSeq, limit) as EventRow[]).map(toStored);
  }

  async getEvent(seq: number): Promise<StoredEvent | null> {
    const row = this.stmt("SELECT * FROM events WHERE seq = ?").get(seq) as EventRow | undefined;
    return row ? toStored(row) : null;
  }

  async lastEventSeq(): Promise<number> {
    return this.lastSeqSync();
  }

  lastSeqSync(): number {
    return (this.stmt("SELECT COALESCE(MAX(seq), 0) FROM events").pluck().get() as number) ?? 0;
  }

  /**
   * Deletes from the oldest end in chunks along the primary key (events are appended in time
   * order), yielding between chunks: never a scan of the whole table, never a long pause of the loop.
   */
  async pruneEvents(before: string, keepAtMost: number): Promise<number> {
    const newest = this.lastSeqSync();
    let removed = 0;
    for (;;) {
      const edge = this.stmt("SELECT seq, occurred_at FROM events ORDER BY seq LIMIT 1 OFFSET ?").get(PRUNE_CHUNK - 1) as { seq: number; occurred_at: string } | undefined;
      const overCap = newest - keepAtMost;
      if (edge && (edge.occurred_at < before || edge.seq <= overCap)) {
        removed += this.stmt("DELETE FROM events WHERE seq <= ?").run(Math.max(edge.occurred_at < before ? edge.seq : 0, Math.min(edge.seq, overCap))).changes;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      // The last partial chunk: the few rows at the old end that are past either limit.
      removed += this.stmt("DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?) AND (occurred_at < ? OR seq <= ?)").run(PRUNE_CHUNK, before, overCap).changes;
      return removed;
    }
  }
}

/** Webhooks, their cursors and deliveries in SQLite; a finished delivery moves its cursor in the same transaction. */
export class SqliteWebhooks implements WebhookStore {
  constructor(
    private readonly db: Database.Database,
    private readonly stmt: Stmt,
    private readonly outbox: SqliteOutbox,
    private readonly changes: ChangeFeed,
  ) {}

  async putWebhook(w: Omit<WebhookRecord, "cursor" | "createdAt">, maxPerDomain: number) {
    const result = this.putWebhookTx(w, maxPerDomain);
    if (!("quotaExceeded" in result)) this.changes.emit({ kind: "webhook", domain: w.domain, id: w.id });
    return result;
  }

  private putWebhookTx(w: Omit<WebhookRecord, "cursor" | "createdAt">, maxPerDomain: number) {
    return this.db.transaction(() => {
      const existing = this.stmt("SELECT * FROM webhooks WHERE domain = ? AND id = ?").get(w.domain, w.id) as WebhookRow | undefined;
      if (!existing && (this.stmt("SELECT COUNT(*) FROM webhooks WHERE domain = ?").pluck().get(w.domain) as number) >= maxPerDomain) return { quotaExceeded: true as const };
      // New, or enabled again: deliveries start with the next event (a disabled webhook is not owed what it missed).
      const fresh = !existing || (existing.enabled === 0 && w.enabled);
      const row: WebhookRow = {
        domain: w.domain,
        id: w.id,
        url: w.url,
        events: JSON.stringify(w.events),
        secret: w.secret,
        description: w.description,
        enabled: w.enabled ? 1 : 0,
        cursor: fresh ? this.outbox.lastSeqSync() : existing.cursor,
        created_at: existing?.created_at ?? w.updatedAt,
        updated_at: w.updatedAt,
      };
      this.stmt(
        `INSERT INTO webhooks (domain, id, url, events, secret, description, enabled, cursor, created_at, updated_at)
         VALUES (@domain, @id, @url, @events, @secret, @description, @enabled, @cursor, @created_at, @updated_at)
         ON CONFLICT (domain, id) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret, description = excluded.description,
           enabled = excluded.enabled, cursor = excluded.cursor, updated_at = excluded.updated_at`,
      ).run(row);
      // Enabled again: what was queued before the pause is not owed either.
      if (existing && fresh) this.stmt("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE domain = ? AND webhook_id = ? AND status = 'pending'").run(w.domain, w.id);
      return { webhook: toWebhook(this.stmt("SELECT * FROM webhooks WHERE domain = ? AND id = ?").get(w.domain, w.id) as WebhookRow), created: !existing };
    }).immediate();
  }

  async getWebhook(domain: string, id: string): Promise<WebhookRecord | null> {
    const row = this.stmt("SELECT * FROM webhooks WHERE domain = ? AND id = ?").get(domain, id) as WebhookRow | undefined;
    return row ? toWebhook(row) : null;
  }

  async listWebhooks(domain: string): Promise<WebhookRecord[]> {
    return (this.stmt("SELECT * FROM webhooks WHERE domain = ? ORDER BY id").all(domain) as WebhookRow[]).map(toWebhook);
  }

  async listAllWebhooks(): Promise<WebhookRecord[]> {
    return (this.stmt("SELECT * FROM webhooks ORDER BY domain, id").all() as WebhookRow[]).map(toWebhook);
  }

  async deleteWebhook(domain: string, id: string): Promise<boolean> {
    const deleted = this.db.transaction(() => this.stmt("DELETE FROM webhooks WHERE domain = ? AND id = ?").run(domain, id).changes > 0)();
    if (deleted) this.changes.emit({ kind: "webhook", domain, id });
    return deleted;
  }

  async advanceWebhookCursor(domain: string, id: string, seq: number): Promise<void> {
    this.stmt("UPDATE webhooks SET cursor = MAX(cursor, ?) WHERE domain = ? AND id = ?").run(seq, domain, id);
  }

  async pendingDelivery(domain: string, webhookId: string): Promise<DeliveryRecord | null> {
    const row = this.stmt("SELECT * FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? AND status = 'pending' ORDER BY event_seq LIMIT 1").get(domain, webhookId) as
      | DeliveryRow
      | undefined;
    return row ? toDelivery(row) : null;
  }

  async createDelivery(d: Omit<DeliveryRecord, "attempts" | "recentAttempts" | "status">, keepPerWebhook: number): Promise<DeliveryRecord> {
    return this.db.transaction(() => {
      this.stmt(
        `INSERT INTO webhook_deliveries (id, domain, webhook_id, event_seq, event_id, event_type, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (domain, webhook_id, event_seq) DO NOTHING`,
      ).run(d.id, d.domain, d.webhookId, d.eventSeq, d.eventId, d.eventType, d.nextAttemptAt, d.createdAt);
      this.stmt(
        `DELETE FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? AND status != 'pending' AND id NOT IN
           (SELECT id FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?)`,
      ).run(d.domain, d.webhookId, d.domain, d.webhookId, keepPerWebhook);
      // Opened already (by an earlier worker): that one.
      return toDelivery(this.stmt("SELECT * FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? AND event_seq = ?").get(d.domain, d.webhookId, d.eventSeq) as DeliveryRow);
    }).immediate();
  }

  async claimDelivery(deliveryId: string, leaseMs: number): Promise<DeliveryRecord | null> {
    const now = Date.now();
    const row = this.stmt(
      "UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) RETURNING *",
    ).get(now + leaseMs, deliveryId, now) as DeliveryRow | undefined;
    return row ? toDelivery(row) : null;
  }

  async releaseDelivery(deliveryId: string): Promise<void> {
    this.stmt("UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = ?").run(deliveryId);
  }

  async recordAttempt(deliveryId: string, attempt: WebhookAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null; advanceCursor: boolean }): Promise<DeliveryRecord | null> {
    return this.db.transaction(() => {
      const row = this.stmt("SELECT * FROM webhook_deliveries WHERE id = ?").get(deliveryId) as DeliveryRow | undefined;
      if (!row) return null;
      const recent = [...(JSON.parse(row.recent_attempts) as WebhookAttempt[]), attempt].slice(-RECENT_ATTEMPTS);
      this.stmt("UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, recent_attempts = ?, claimed_until = NULL WHERE id = ?").run(
        next.status,
        next.nextAttemptAt,
        JSON.stringify(recent),
        deliveryId,
      );
      if (next.advanceCursor) this.stmt("UPDATE webhooks SET cursor = MAX(cursor, ?) WHERE domain = ? AND id = ?").run(row.event_seq, row.domain, row.webhook_id);
      return toDelivery(this.stmt("SELECT * FROM webhook_deliveries WHERE id = ?").get(deliveryId) as DeliveryRow);
    }).immediate();
  }

  async getDelivery(domain: string, webhookId: string, deliveryId: string): Promise<DeliveryRecord | null> {
    const row = this.stmt("SELECT * FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? AND id = ?").get(domain, webhookId, deliveryId) as DeliveryRow | undefined;
    return row ? toDelivery(row) : null;
  }

  async listDeliveries(domain: string, webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return (this.stmt("SELECT * FROM webhook_deliveries WHERE domain = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?").all(domain, webhookId, limit) as DeliveryRow[]).map(toDelivery);
  }

  async webhookBacklog(): Promise<{ events: number; oldestOccurredAt: string | null }> {
    const row = this.stmt(
      `SELECT COUNT(e.seq) AS events, MIN(e.occurred_at) AS oldest
         FROM webhooks w JOIN events e ON e.domain = w.domain AND e.seq > w.cursor
        WHERE w.enabled = 1`,
    ).get() as { events: number; oldest: string | null };
    return { events: row.events, oldestOccurredAt: row.oldest };
  }
}
