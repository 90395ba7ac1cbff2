import type { Logger } from "pino";
import type { RecordingConfig, RelayTemplate, SnapshotConfig, TranscodeTemplate } from "@liverelay/api";
import type { CreateTemplateResult, IdempotencyClaim, IngestAuthRecord, IngestSettingsRecord, Store, TemplateChange, TemplateFields, TemplateFilter, TemplatePage } from "../store";
import type { RecordingEnd, RecordingFilter, RecordingPage, RecordingRecord, TranscodeSpec } from "../media";
import { ChangeFeed, type MediaConfigKind } from "../changes";
import {
  newTemplateId, toIngestAuth, toIngestSettings, toRecording, toRecordingConfig, toSnapshotConfig, toTemplate, toTranscodeTemplate,
  type IngestAuthRow, type IngestSettingsRow, type RecordingConfigRow, type RecordingRow, type SnapshotRow, type TemplateRow, type TranscodeRow,
} from "../rows";
import { templateEvent } from "../../events/template-events";
import type { NewEvent, StoredEvent } from "../../events/outbox";
import { PgDb, type Queryable } from "./pg-db";
import { migrate } from "./pg-migrate";
import { PG_MIGRATIONS } from "./migrations";
import { notifyChange, PgChangeListener } from "./pg-changes";
import { PgOutbox, PgWebhooks } from "./pg-events";
import { PgCluster } from "./pg-cluster";
import { TEMPLATE_QUOTA_SPACE } from "./pg-locks";

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

type CreateCommand = { domain: string; fields: TemplateFields; maxPerDomain: number; idempotency?: IdempotencyClaim; now: Date };

/**
 * The shared store: PostgreSQL, for several nodes serving one control plane. Every write is one
 * transaction that also queues its change notification (delivered to every node at commit);
 * per-domain quotas and idempotency keys are checked under a per-domain transaction lock, so
 * they hold exactly whichever node or connection the requests arrive on.
 */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly changes: ChangeFeed;
  readonly outbox: PgOutbox;
  readonly webhooks: PgWebhooks;
  readonly cluster: PgCluster;
  private readonly listener: PgChangeListener;
  private open = true;

  private constructor(
    /** The pool, for the parts of the store kept in their own files beside this one (the cluster tables). */
    readonly db: PgDb,
    logger: Logger,
  ) {
    this.changes = new ChangeFeed((err, change) => logger.error({ err, change: change.kind }, "a store change listener failed"));
    this.outbox = new PgOutbox(db, this.changes, logger);
    this.webhooks = new PgWebhooks(db);
    this.cluster = new PgCluster(db);
    this.listener = new PgChangeListener(db.url, this.changes, logger);
  }

  /** Connects, migrates (once across nodes starting together) and starts listening for changes. */
  static async open(url: string, logger: Logger): Promise<PostgresStore> {
    const db = new PgDb(url, logger);
    try {
      const applied = await migrate(db.pool, PG_MIGRATIONS);
      if (applied.length > 0) logger.info({ versions: applied }, "PostgreSQL schema migrated");
      const store = new PostgresStore(db, logger);
      await store.listener.start();
      return store;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  isOpen(): boolean {
    return this.open && this.db.isHealthy();
  }

  // ---- relay templates -------------------------------------------------------------

  async createRelayTemplate(cmd: CreateCommand): Promise<CreateTemplateResult> {
    return this.txWithEvent(async (q, append) => {
      // One writer per domain at a time, on any node: the count below cannot go stale before the insert commits.
      await q.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [TEMPLATE_QUOTA_SPACE, cmd.domain]);
      const scope = `relay-templates:${cmd.domain}`;
      const replay = cmd.idempotency ? await findIdempotent(q, scope, cmd.idempotency, cmd.now) : null;
      return replay ?? (await this.insertTemplate(q, append, scope, cmd));
    });
  }

  private async insertTemplate(q: Queryable, append: (e: NewEvent) => Promise<void>, scope: string, cmd: CreateCommand): Promise<CreateTemplateResult> {
    const f = cmd.fields;
    const taken = await q.query("SELECT 1 FROM relay_templates WHERE domain = $1 AND app_name = $2 AND stream_name = $3 AND destination_url = $4", [
      cmd.domain,
      f.appName,
      f.streamName,
      f.destinationUrl,
    ]);
    if (taken.rows.length > 0) return { kind: "duplicate" };
    const used = await count(q, cmd.domain);
    if (used >= cmd.maxPerDomain) return { kind: "quota-exceeded", used, limit: cmd.maxPerDomain };
    const now = cmd.now.toISOString();
    const { rows } = await q.query<TemplateRow>(
      `INSERT INTO relay_templates (id, domain, app_name, stream_name, destination_url, mode, start_time, end_time, description, protocol_conversion, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
      [newTemplateId(cmd.now), cmd.domain, f.appName, f.streamName, f.destinationUrl, f.mode, f.startTime, f.endTime, f.description, f.protocolConversion, now],
    );
    const template = toTemplate(rows[0]);
    if (cmd.idempotency) {
      await q.query("INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, $5)", [
        scope,
        cmd.idempotency.key,
        cmd.idempotency.requestHash,
        JSON.stringify(template),
        cmd.now.getTime(),
      ]);
    }
    await notifyChange(q, { kind: "relay-template", op: "created", domain: cmd.domain, id: template.id });
    await append(templateEvent("relay_template.created", template, cmd.now));
    return { kind: "created", template };
  }

  async getRelayTemplate(domain: string, id: string): Promise<RelayTemplate | null> {
    const [row] = await this.db.query<TemplateRow>("SELECT * FROM relay_templates WHERE domain = $1 AND id = $2", [domain, id]);
    return row ? toTemplate(row) : null;
  }

  async listRelayTemplates(domain: string, filter: TemplateFilter, page: { limit: number; afterId?: string }): Promise<TemplatePage> {
    const params: unknown[] = [domain, page.afterId ?? "", page.limit + 1];
    const where = ["domain = $1", "id > $2"];
    const add = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    add("app_name", filter.appName);
    add("stream_name", filter.streamName);
    add("destination_url", filter.destinationUrl);
    //: ids compare byte-wise, as in SQLite, whatever the database's locale.
    const rows = await this.db.query<TemplateRow>(`SELECT * FROM relay_templates WHERE ${where.join(" AND ")} ORDER BY id LIMIT $3`, params);
    const items = rows.slice(0, page.limit).map(toTemplate);
    return { items, lastId: rows.length > page.limit ? items[items.length - 1].id : null };
  }

  async updateRelayTemplate(domain: string, id: string, change: TemplateChange, now: Date): Promise<RelayTemplate | null> {
    return this.txWithEvent(async (q, append) => {
      const [row] = (await q.query<TemplateRow>("SELECT * FROM relay_templates WHERE domain = $1 AND id = $2 FOR UPDATE", [domain, id])).rows;
      if (!row) return null;
      const next = change(toTemplate(row));
      const { rows } = await q.query<TemplateRow>(
        "UPDATE relay_templates SET mode = $1, start_time = $2, end_time = $3, description = $4, protocol_conversion = $5, updated_at = $6 WHERE id = $7 RETURNING *",
        [next.mode, next.startTime, next.endTime, next.description, next.protocolConversion, now.toISOString(), id],
      );
      const updated = toTemplate(rows[0]);
      await notifyChange(q, { kind: "relay-template", op: "updated", domain, id });
      await append(templateEvent("relay_template.updated", updated, now));
      return updated;
    });
  }

  async deleteRelayTemplate(domain: string, id: string): Promise<boolean> {
    return this.txWithEvent(async (q, append) => {
      const [row] = (await q.query<TemplateRow>("DELETE FROM relay_templates WHERE domain = $1 AND id = $2 RETURNING *", [domain, id])).rows;
      if (!row) return false;
      await notifyChange(q, { kind: "relay-template", op: "deleted", domain, id });
      await append(templateEvent("relay_template.deleted", toTemplate(row), new Date()));
      return true;
    });
  }

  async countRelayTemplates(domain: string): Promise<number> {
    return (await this.db.query<{ n: number }>(COUNT_TEMPLATES, [domain]))[0].n;
  }

  async listAllRelayTemplates(): Promise<RelayTemplate[]> {
    return (await this.db.query<TemplateRow>(`SELECT * FROM relay_templates ORDER BY id`)).map(toTemplate);
  }

  // ---- ingest auth and settings ----------------------------------------------------

  async getIngestAuth(domain: string): Promise<IngestAuthRecord | null> {
    const [row] = await this.db.query<IngestAuthRow>("SELECT domain, key, srt_passphrase, play_key, updated_at FROM ingest_auth WHERE domain = $1", [domain]);
    return row ? toIngestAuth(row) : null;
  }

  async listIngestAuth(): Promise<IngestAuthRecord[]> {
    return (await this.db.query<IngestAuthRow>(`SELECT domain, key, srt_passphrase, play_key, updated_at FROM ingest_auth ORDER BY domain`)).map(toIngestAuth);
  }

  async setIngestAuth(r: IngestAuthRecord): Promise<void> {
    await this.write({ kind: "ingest-auth", domain: r.domain }, (q) =>
      q.query(
        `INSERT INTO ingest_auth (domain, key, srt_passphrase, play_key, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (domain) DO UPDATE SET key = excluded.key, srt_passphrase = excluded.srt_passphrase, play_key = excluded.play_key, updated_at = excluded.updated_at`,
        [r.domain, r.key, r.srtPassphrase, r.playKey, r.updatedAt],
      ),
    );
  }

  async deleteIngestAuth(domain: string): Promise<boolean> {
    return this.write({ kind: "ingest-auth", domain }, (q) => q.query("DELETE FROM ingest_auth WHERE domain = $1", [domain]));
  }

  async getIngestSettings(domain: string): Promise<IngestSettingsRecord | null> {
    const [row] = await this.db.query<IngestSettingsRow>("SELECT domain, publisher_takeover, open_playback, updated_at FROM ingest_settings WHERE domain = $1", [domain]);
    return row ? toIngestSettings(row) : null;
  }

  async listIngestSettings(): Promise<IngestSettingsRecord[]> {
    return (await this.db.query<IngestSettingsRow>(`SELECT domain, publisher_takeover, open_playback, updated_at FROM ingest_settings ORDER BY domain`)).map(toIngestSettings);
  }

  async setIngestSettings(r: IngestSettingsRecord): Promise<void> {
    await this.write({ kind: "ingest-settings", domain: r.domain }, (q) =>
      q.query(
        `INSERT INTO ingest_settings (domain, publisher_takeover, open_playback, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (domain) DO UPDATE SET publisher_takeover = excluded.publisher_takeover, open_playback = excluded.open_playback, updated_at = excluded.updated_at`,
        [r.domain, r.publisherTakeover, r.openPlayback, r.updatedAt],
      ),
    );
  }

  // ---- media processing ------------------------------------------------------------

  async putTranscodeTemplate(domain: string, id: string, spec: TranscodeSpec, now: Date): Promise<{ template: TranscodeTemplate; created: boolean }> {
    return this.db.tx(async (q) => {
      const at = now.toISOString();
      const { rows } = await q.query<TranscodeRow & { created: boolean }>(
        `INSERT INTO transcode_templates (domain, id, app_name, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (domain, id) DO UPDATE SET app_name = excluded.app_name, spec = excluded.spec, updated_at = excluded.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [domain, id, spec.appName, JSON.stringify({ video: spec.video, audio: spec.audio }), at],
      );
      await notifyMedia(q, "transcode", domain);
      return { template: toTranscodeTemplate(rows[0]), created: rows[0].created };
    });
  }

  async getTranscodeTemplate(domain: string, id: string): Promise<TranscodeTemplate | null> {
    const [row] = await this.db.query<TranscodeRow>("SELECT * FROM transcode_templates WHERE domain = $1 AND id = $2", [domain, id]);
    return row ? toTranscodeTemplate(row) : null;
  }

  async listTranscodeTemplates(domain: string): Promise<TranscodeTemplate[]> {
    return (await this.db.query<TranscodeRow>(`SELECT * FROM transcode_templates WHERE domain = $1 ORDER BY id`, [domain])).map(toTranscodeTemplate);
  }

  async listAllTranscodeTemplates(): Promise<TranscodeTemplate[]> {
    return (await this.db.query<TranscodeRow>(`SELECT * FROM transcode_templates ORDER BY domain, id`)).map(toTranscodeTemplate);
  }

  async deleteTranscodeTemplate(domain: string, id: string): Promise<boolean> {
    return this.write({ kind: "media-config", config: "transcode", domain }, (q) => q.query("DELETE FROM transcode_templates WHERE domain = $1 AND id = $2", [domain, id]));
  }

  async setSnapshotConfig(c: SnapshotConfig): Promise<void> {
    await this.write({ kind: "media-config", config: "snapshot", domain: c.domain }, (q) =>
      q.query(
        `INSERT INTO snapshot_configs (domain, app_name, interval_seconds, keep, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (domain, app_name) DO UPDATE SET interval_seconds = excluded.interval_seconds, keep = excluded.keep, updated_at = excluded.updated_at`,
        [c.domain, c.appName, c.intervalSeconds, c.keep, c.updatedAt],
      ),
    );
  }

  async getSnapshotConfig(domain: string, appName: string): Promise<SnapshotConfig | null> {
    const [row] = await this.db.query<SnapshotRow>("SELECT * FROM snapshot_configs WHERE domain = $1 AND app_name = $2", [domain, appName]);
    return row ? toSnapshotConfig(row) : null;
  }

  async listAllSnapshotConfigs(): Promise<SnapshotConfig[]> {
    return (await this.db.query<SnapshotRow>(`SELECT * FROM snapshot_configs ORDER BY domain, app_name`)).map(toSnapshotConfig);
  }

  async deleteSnapshotConfig(domain: string, appName: string): Promise<boolean> {
    return this.write({ kind: "media-config", config: "snapshot", domain }, (q) => q.query("DELETE FROM snapshot_configs WHERE domain = $1 AND app_name = $2", [domain, appName]));
  }

  async setRecordingConfig(c: RecordingConfig): Promise<void> {
    await this.write({ kind: "media-config", config: "recording", domain: c.domain }, (q) =>
      q.query(
        `INSERT INTO recording_configs (domain, app_name, format, segment_seconds, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (domain, app_name) DO UPDATE SET format = excluded.format, segment_seconds = excluded.segment_seconds, updated_at = excluded.updated_at`,
        [c.domain, c.appName, c.format, c.segmentSeconds, c.updatedAt],
      ),
    );
  }

  async getRecordingConfig(domain: string, appName: string): Promise<RecordingConfig | null> {
    const [row] = await this.db.query<RecordingConfigRow>("SELECT * FROM recording_configs WHERE domain = $1 AND app_name = $2", [domain, appName]);
    return row ? toRecordingConfig(row) : null;
  }

  async listAllRecordingConfigs(): Promise<RecordingConfig[]> {
    return (await this.db.query<RecordingConfigRow>(`SELECT * FROM recording_configs ORDER BY domain, app_name`)).map(toRecordingConfig);
  }

  async deleteRecordingConfig(domain: string, appName: string): Promise<boolean> {
    return this.write({ kind: "media-config", config: "recording", domain }, (q) => q.query("DELETE FROM recording_configs WHERE domain = $1 AND app_name = $2", [domain, appName]));
  }

  async addRecording(r: RecordingRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO recordings (id, domain, app_name, stream_name, format, path, started_at, ended_at, duration_seconds, bytes, node_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [r.id, r.domain, r.appName, r.streamName, r.format, r.path, r.startedAt, r.endedAt, r.durationSeconds, r.bytes, r.nodeId],
    );
  }

  async finishRecording(id: string, end: RecordingEnd): Promise<boolean> {
    const rows = await this.db.query("UPDATE recordings SET ended_at = $1, duration_seconds = $2, bytes = $3 WHERE id = $4 RETURNING id", [end.endedAt, end.durationSeconds, end.bytes, id]);
    return rows.length > 0;
  }

  async getRecording(domain: string, id: string): Promise<RecordingRecord | null> {
    const [row] = await this.db.query<RecordingRow>("SELECT * FROM recordings WHERE domain = $1 AND id = $2", [domain, id]);
    return row ? toRecording(row) : null;
  }

  async listRecordings(domain: string, filter: RecordingFilter, page: { limit: number; afterId?: string }): Promise<RecordingPage> {
    const params: unknown[] = [domain, page.afterId ?? "", page.limit + 1];
    const where = ["domain = $1", "id > $2"];
    if (filter.appName !== undefined) where.push(`app_name = $${params.push(filter.appName)}`);
    if (filter.streamName !== undefined) where.push(`stream_name = $${params.push(filter.streamName)}`);
    const rows = await this.db.query<RecordingRow>(`SELECT * FROM recordings WHERE ${where.join(" AND ")} ORDER BY id LIMIT $3`, params);
    const items = rows.slice(0, page.limit).map(toRecording);
    return { items, lastId: rows.length > page.limit ? items[items.length - 1].id : null };
  }

  async listUnfinishedRecordings(nodeId: string): Promise<RecordingRecord[]> {
    return (await this.db.query<RecordingRow>(`SELECT * FROM recordings WHERE ended_at IS NULL AND node_id IN ($1, '') ORDER BY id`, [nodeId])).map(toRecording);
  }

  async deleteRecording(domain: string, id: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM recordings WHERE domain = $1 AND id = $2 RETURNING id", [domain, id])).length > 0;
  }

  /** A transaction that may append events (`append`): this node's outbox listeners hear of them right after the commit. */
  private async txWithEvent<T>(work: (q: Queryable, append: (e: NewEvent) => Promise<void>) => Promise<T>): Promise<T> {
    let last: StoredEvent | undefined;
    const result = await this.db.tx((q) => work(q, async (e) => void (last = await this.outbox.insert(q, e))));
    if (last) this.outbox.announce(last.event.domain, last.seq);
    return result;
  }

  /** One statement and its change notification in one transaction; true when it touched a row. */
  private async write(change: Parameters<typeof notifyChange>[1], statement: (q: Queryable) => Promise<{ rowCount: number | null }>): Promise<boolean> {
    return this.db.tx(async (q) => {
      const { rowCount } = await statement(q);
      if (rowCount) await notifyChange(q, change);
      return Boolean(rowCount);
    });
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.listener.close();
    await this.db.close();
  }
}

const COUNT_TEMPLATES = "SELECT COUNT(*) AS n FROM relay_templates WHERE domain = $1";
const count = async (q: Queryable, domain: string) => (await q.query<{ n: number }>(COUNT_TEMPLATES, [domain])).rows[0].n;

function notifyMedia(q: Queryable, config: MediaConfigKind, domain: string): Promise<void> {
  return notifyChange(q, { kind: "media-config", config, domain });
}

async function findIdempotent(q: Queryable, scope: string, claim: IdempotencyClaim, now: Date): Promise<CreateTemplateResult | null> {
  await q.query("DELETE FROM idempotency_keys WHERE created_at < $1", [now.getTime() - IDEMPOTENCY_TTL_MS]);
  const [hit] = (await q.query<{ request_hash: string; response: string }>("SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2", [scope, claim.key])).rows;
  if (!hit) return null;
  if (hit.request_hash !== claim.requestHash) return { kind: "idempotency-mismatch" };
  return { kind: "replayed", template: JSON.parse(hit.response) as RelayTemplate };
}
