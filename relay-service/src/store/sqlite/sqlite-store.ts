import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "pino";
import type { RecordingConfig, RelayTemplate, SnapshotConfig, TranscodeTemplate } from "@liverelay/api";
import type { CreateTemplateResult, IdempotencyClaim, IngestAuthRecord, IngestSettingsRecord, Store, TemplateChange, TemplateFields, TemplateFilter, TemplatePage } from "../store";
import type { RecordingEnd, RecordingFilter, RecordingPage, RecordingRecord, TranscodeSpec } from "../media";
import { MIGRATIONS } from "./migrations";
import { SqliteOutbox, SqliteWebhooks } from "./sqlite-events";
import { SqliteCluster } from "./sqlite-cluster";
import { templateEvent } from "../../events/template-events";
import { ChangeFeed, type MediaConfigKind } from "../changes";
import {
  newTemplateId, toIngestAuth, toIngestSettings, toRecording, toRecordingConfig, toSnapshotConfig, toTemplate, toTranscodeTemplate,
  type IngestAuthRow, type IngestSettingsRow, type RecordingConfigRow, type RecordingRow, type SnapshotRow, type TemplateRow, type TranscodeRow,
} from "../rows";

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const isoSeconds = (d: Date) => d.toISOString();

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each
 * method runs to completion on the event loop and every write is one transaction.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  /** The connection, for the parts of the store kept in their own files beside this one (the cluster tables). */
  readonly db: Database.Database;
  private open = true;
  private readonly statements = new Map<string, Database.Statement>();
  readonly outbox: SqliteOutbox;
  readonly webhooks: SqliteWebhooks;
  /** Told right after each committing write, in this process (there is no other writer). */
  readonly changes: ChangeFeed;
  readonly cluster: SqliteCluster;

  constructor(file: string, logger?: Logger) {
    this.changes = new ChangeFeed(logger ? (err, change) => logger.error({ err, change: change.kind }, "a store change listener failed") : undefined);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    const stmt = (sql: string) => this.stmt(sql);
    this.outbox = new SqliteOutbox(this.db, stmt, this.changes);
    this.webhooks = new SqliteWebhooks(this.db, stmt, this.outbox, this.changes);
    this.cluster = new SqliteCluster(this.db, stmt);
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const applied = new Set(this.stmt("SELECT version FROM schema_migrations").pluck().all() as number[]);
    for (const m of MIGRATIONS.filter((m) => !applied.has(m.version))) {
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.stmt("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
      })();
    }
  }

  /** Prepared once, reused: preparing on every request costs more than the query. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  isOpen(): boolean {
    return this.open && this.db.open;
  }

  async createRelayTemplate(cmd: { domain: string; fields: TemplateFields; maxPerDomain: number; idempotency?: IdempotencyClaim; now: Date }): Promise<CreateTemplateResult> {
    const result = this.createTemplateTx(cmd);
    if (result.kind === "created") this.templateChanged("created", result.template);
    return result;
  }

  private createTemplateTx(cmd: { domain: string; fields: TemplateFields; maxPerDomain: number; idempotency?: IdempotencyClaim; now: Date }): CreateTemplateResult {
    return this.db.transaction((): CreateTemplateResult => {
      const scope = `relay-templates:${cmd.domain}`;
      if (cmd.idempotency) {
        const replay = this.findIdempotent(scope, cmd.idempotency, cmd.now);
        if (replay) return replay;
      }
      const f = cmd.fields;
      const taken = this.db
        .prepare("SELECT 1 FROM relay_templates WHERE domain = ? AND app_name = ? AND stream_name = ? AND destination_url = ?")
        .get(cmd.domain, f.appName, f.streamName, f.destinationUrl);
      if (taken) return { kind: "duplicate" };
      const used = this.countSync(cmd.domain);
      if (used >= cmd.maxPerDomain) return { kind: "quota-exceeded", used, limit: cmd.maxPerDomain };
      const now = isoSeconds(cmd.now);
      const row: TemplateRow = {
        id: newTemplateId(cmd.now),
        domain: cmd.domain,
        app_name: f.appName,
        stream_name: f.streamName,
        destination_url: f.destinationUrl,
        mode: f.mode,
        start_time: f.startTime,
        end_time: f.endTime,
        description: f.description,
        protocol_conversion: f.protocolConversion ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      this.db
        .prepare(
          `INSERT INTO relay_templates (id, domain, app_name, stream_name, destination_url, mode, start_time, end_time, description, protocol_conversion, created_at, updated_at)
           VALUES (@id, @domain, @app_name, @stream_name, @destination_url, @mode, @start_time, @end_time, @description, @protocol_conversion, @created_at, @updated_at)`,
        )
        .run(row);
      const template = toTemplate(row);
      this.outbox.insert(templateEvent("relay_template.created", template, cmd.now));
      if (cmd.idempotency) {
        this.db
          .prepare("INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)")
          .run(scope, cmd.idempotency.key, cmd.idempotency.requestHash, JSON.stringify(template), cmd.now.getTime());
      }
      return { kind: "created", template };
    }).immediate();
  }

  private findIdempotent(scope: string, claim: IdempotencyClaim, now: Date): CreateTemplateResult | null {
    this.stmt("DELETE FROM idempotency_keys WHERE created_at < ?").run(now.getTime() - IDEMPOTENCY_TTL_MS);
    const hit = this.stmt("SELECT request_hash, response FROM idempotency_keys WHERE scope = ? AND key = ?").get(scope, claim.key) as
      | { request_hash: string; response: string }
      | undefined;
    if (!hit) return null;
    if (hit.request_hash !== claim.requestHash) return { kind: "idempotency-mismatch" };
    return { kind: "replayed", template: JSON.parse(hit.response) as RelayTemplate };
  }

  async getRelayTemplate(domain: string, id: string): Promise<RelayTemplate | null> {
    const row = this.stmt("SELECT * FROM relay_templates WHERE domain = ? AND id = ?").get(domain, id) as TemplateRow | undefined;
    return row ? toTemplate(row) : null;
  }

  async listRelayTemplates(domain: string, filter: TemplateFilter, page: { limit: number; afterId?: string }): Promise<TemplatePage> {
    const where = ["domain = @domain", "id > @afterId"];
    if (filter.appName !== undefined) where.push("app_name = @appName");
    if (filter.streamName !== undefined) where.push("stream_name = @streamName");
    if (filter.destinationUrl !== undefined) where.push("destination_url = @destinationUrl");
    const rows = this.db
      .prepare(`SELECT * FROM relay_templates WHERE ${where.join(" AND ")} ORDER BY id LIMIT @take`)
      .all({ domain, afterId: page.afterId ?? "", take: page.limit + 1, ...filter }) as TemplateRow[];
    const items = rows.slice(0, page.limit).map(toTemplate);
    return { items, lastId: rows.length > page.limit ? items[items.length - 1].id : null };
  }

  async updateRelayTemplate(domain: string, id: string, change: TemplateChange, now: Date): Promise<RelayTemplate | null> {
    const template = this.updateTemplateTx(domain, id, change, now);
    if (template) this.templateChanged("updated", template);
    return template;
  }

  private updateTemplateTx(domain: string, id: string, change: TemplateChange, now: Date): RelayTemplate | null {
    return this.db.transaction(() => {
      const row = this.stmt("SELECT * FROM relay_templates WHERE domain = ? AND id = ?").get(domain, id) as TemplateRow | undefined;
      if (!row) return null;
      const next = change(toTemplate(row));
      const updated: TemplateRow = {
        ...row,
        mode: next.mode,
        start_time: next.startTime,
        end_time: next.endTime,
        description: next.description,
        protocol_conversion: next.protocolConversion ? 1 : 0,
        updated_at: isoSeconds(now),
      };
      this.db
        .prepare("UPDATE relay_templates SET mode = @mode, start_time = @start_time, end_time = @end_time, description = @description, protocol_conversion = @protocol_conversion, updated_at = @updated_at WHERE id = @id")
        .run(updated);
      const template = toTemplate(updated);
      this.outbox.insert(templateEvent("relay_template.updated", template, now));
      return template;
    }).immediate();
  }

  async deleteRelayTemplate(domain: string, id: string): Promise<boolean> {
    const deleted = this.db.transaction(() => {
      const row = this.stmt("DELETE FROM relay_templates WHERE domain = ? AND id = ? RETURNING *").get(domain, id) as TemplateRow | undefined;
      if (row) this.outbox.insert(templateEvent("relay_template.deleted", toTemplate(row), new Date()));
      return row !== undefined;
    })();
    if (deleted) this.changes.emit({ kind: "relay-template", op: "deleted", domain, id });
    return deleted;
  }

  private templateChanged(op: "created" | "updated", t: RelayTemplate): void {
    this.changes.emit({ kind: "relay-template", op, domain: t.domain, id: t.id });
  }

  private mediaChanged<T>(config: MediaConfigKind, domain: string, result: T): T {
    if (result !== false) this.changes.emit({ kind: "media-config", config, domain });
    return result;
  }

  async countRelayTemplates(domain: string): Promise<number> {
    return this.countSync(domain);
  }

  async listAllRelayTemplates(): Promise<RelayTemplate[]> {
    return (this.stmt("SELECT * FROM relay_templates ORDER BY id").all() as TemplateRow[]).map(toTemplate);
  }

  async getIngestAuth(domain: string): Promise<IngestAuthRecord | null> {
    const row = this.stmt("SELECT domain, key, srt_passphrase, play_key, updated_at FROM ingest_auth WHERE domain = ?").get(domain) as IngestAuthRow | undefined;
    return row ? toIngestAuth(row) : null;
  }

  async listIngestAuth(): Promise<IngestAuthRecord[]> {
    return (this.stmt("SELECT domain, key, srt_passphrase, play_key, updated_at FROM ingest_auth ORDER BY domain").all() as IngestAuthRow[]).map(toIngestAuth);
  }

  async setIngestAuth(r: IngestAuthRecord): Promise<void> {
    this.db.transaction(() =>
      this.stmt(
        `INSERT INTO ingest_auth (domain, key, srt_passphrase, play_key, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (domain) DO UPDATE SET key = excluded.key, srt_passphrase = excluded.srt_passphrase, play_key = excluded.play_key, updated_at = excluded.updated_at`,
      ).run(r.domain, r.key, r.srtPassphrase, r.playKey, r.updatedAt),
    )();
    this.changes.emit({ kind: "ingest-auth", domain: r.domain });
  }

  async deleteIngestAuth(domain: string): Promise<boolean> {
    const deleted = this.db.transaction(() => this.stmt("DELETE FROM ingest_auth WHERE domain = ?").run(domain).changes > 0)();
    if (deleted) this.changes.emit({ kind: "ingest-auth", domain });
    return deleted;
  }

  async getIngestSettings(domain: string): Promise<IngestSettingsRecord | null> {
    const row = this.stmt("SELECT domain, publisher_takeover, open_playback, updated_at FROM ingest_settings WHERE domain = ?").get(domain) as IngestSettingsRow | undefined;
    return row ? toIngestSettings(row) : null;
  }

  async listIngestSettings(): Promise<IngestSettingsRecord[]> {
    return (this.stmt("SELECT domain, publisher_takeover, open_playback, updated_at FROM ingest_settings ORDER BY domain").all() as IngestSettingsRow[]).map(toIngestSettings);
  }

  async setIngestSettings(r: IngestSettingsRecord): Promise<void> {
    this.db.transaction(() =>
      this.stmt(
        `INSERT INTO ingest_settings (domain, publisher_takeover, open_playback, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (domain) DO UPDATE SET publisher_takeover = excluded.publisher_takeover, open_playback = excluded.open_playback, updated_at = excluded.updated_at`,
      ).run(r.domain, r.publisherTakeover ? 1 : 0, r.openPlayback ? 1 : 0, r.updatedAt),
    )();
    this.changes.emit({ kind: "ingest-settings", domain: r.domain });
  }

  // ---- media processing ----------------------------------------------------------

  async putTranscodeTemplate(domain: string, id: string, spec: TranscodeSpec, now: Date): Promise<{ template: TranscodeTemplate; created: boolean }> {
    const result = this.db.transaction(() => {
      const at = isoSeconds(now);
      const existing = this.stmt("SELECT created_at FROM transcode_templates WHERE domain = ? AND id = ?").pluck().get(domain, id) as string | undefined;
      const row: TranscodeRow = { domain, id, app_name: spec.appName, spec: JSON.stringify({ video: spec.video, audio: spec.audio }), created_at: existing ?? at, updated_at: at };
      this.stmt(
        `INSERT INTO transcode_templates (domain, id, app_name, spec, created_at, updated_at) VALUES (@domain, @id, @app_name, @spec, @created_at, @updated_at)
         ON CONFLICT (domain, id) DO UPDATE SET app_name = excluded.app_name, spec = excluded.spec, updated_at = excluded.updated_at`,
      ).run(row);
      return { template: toTranscodeTemplate(row), created: existing === undefined };
    }).immediate();
    return this.mediaChanged("transcode", domain, result);
  }

  async getTranscodeTemplate(domain: string, id: string): Promise<TranscodeTemplate | null> {
    const row = this.stmt("SELECT * FROM transcode_templates WHERE domain = ? AND id = ?").get(domain, id) as TranscodeRow | undefined;
    return row ? toTranscodeTemplate(row) : null;
  }

  async listTranscodeTemplates(domain: string): Promise<TranscodeTemplate[]> {
    return (this.stmt("SELECT * FROM transcode_templates WHERE domain = ? ORDER BY id").all(domain) as TranscodeRow[]).map(toTranscodeTemplate);
  }

  async listAllTranscodeTemplates(): Promise<TranscodeTemplate[]> {
    return (this.stmt("SELECT * FROM transcode_templates ORDER BY domain, id").all() as TranscodeRow[]).map(toTranscodeTemplate);
  }

  async deleteTranscodeTemplate(domain: string, id: string): Promise<boolean> {
    return this.mediaChanged("transcode", domain, this.db.transaction(() => this.stmt("DELETE FROM transcode_templates WHERE domain = ? AND id = ?").run(domain, id).changes > 0)());
  }

  async setSnapshotConfig(c: SnapshotConfig): Promise<void> {
    this.db.transaction(() =>
      this.stmt(
        `INSERT INTO snapshot_configs (domain, app_name, interval_seconds, keep, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (domain, app_name) DO UPDATE SET interval_seconds = excluded.interval_seconds, keep = excluded.keep, updated_at = excluded.updated_at`,
      ).run(c.domain, c.appName, c.intervalSeconds, c.keep, c.updatedAt),
    )();
    this.mediaChanged("snapshot", c.domain, true);
  }

  async getSnapshotConfig(domain: string, appName: string): Promise<SnapshotConfig | null> {
    const row = this.stmt("SELECT * FROM snapshot_configs WHERE domain = ? AND app_name = ?").get(domain, appName) as SnapshotRow | undefined;
    return row ? toSnapshotConfig(row) : null;
  }

  async listAllSnapshotConfigs(): Promise<SnapshotConfig[]> {
    return (this.stmt("SELECT * FROM snapshot_configs ORDER BY domain, app_name").all() as SnapshotRow[]).map(toSnapshotConfig);
  }

  async deleteSnapshotConfig(domain: string, appName: string): Promise<boolean> {
    return this.mediaChanged("snapshot", domain, this.db.transaction(() => this.stmt("DELETE FROM snapshot_configs WHERE domain = ? AND app_name = ?").run(domain, appName).changes > 0)());
  }

  async setRecordingConfig(c: RecordingConfig): Promise<void> {
    this.db.transaction(() =>
      this.stmt(
        `INSERT INTO recording_configs (domain, app_name, format, segment_seconds, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (domain, app_name) DO UPDATE SET format = excluded.format, segment_seconds = excluded.segment_seconds, updated_at = excluded.updated_at`,
      ).run(c.domain, c.appName, c.format, c.segmentSeconds, c.updatedAt),
    )();
    this.mediaChanged("recording", c.domain, true);
  }

  async getRecordingConfig(domain: string, appName: string): Promise<RecordingConfig | null> {
    const row = this.stmt("SELECT * FROM recording_configs WHERE domain = ? AND app_name = ?").get(domain, appName) as RecordingConfigRow | undefined;
    return row ? toRecordingConfig(row) : null;
  }

  async listAllRecordingConfigs(): Promise<RecordingConfig[]> {
    return (this.stmt("SELECT * FROM recording_configs ORDER BY domain, app_name").all() as RecordingConfigRow[]).map(toRecordingConfig);
  }

  async deleteRecordingConfig(domain: string, appName: string): Promise<boolean> {
    return this.mediaChanged("recording", domain, this.db.transaction(() => this.stmt("DELETE FROM recording_configs WHERE domain = ? AND app_name = ?").run(domain, appName).changes > 0)());
  }

  async addRecording(r: RecordingRecord): Promise<void> {
    this.db.transaction(() =>
      this.stmt(
        `INSERT INTO recordings (id, domain, app_name, stream_name, format, path, started_at, ended_at, duration_seconds, bytes, node_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.id, r.domain, r.appName, r.streamName, r.format, r.path, r.startedAt, r.endedAt, r.durationSeconds, r.bytes, r.nodeId),
    )();
  }

  async finishRecording(id: string, end: RecordingEnd): Promise<boolean> {
    return this.db.transaction(
      () => this.stmt("UPDATE recordings SET ended_at = ?, duration_seconds = ?, bytes = ? WHERE id = ?").run(end.endedAt, end.durationSeconds, end.bytes, id).changes > 0,
    )();
  }

  async getRecording(domain: string, id: string): Promise<RecordingRecord | null> {
    const row = this.stmt("SELECT * FROM recordings WHERE domain = ? AND id = ?").get(domain, id) as RecordingRow | undefined;
    return row ? toRecording(row) : null;
  }

  async listRecordings(domain: string, filter: RecordingFilter, page: { limit: number; afterId?: string }): Promise<RecordingPage> {
    const where = ["domain = @domain", "id > @afterId"];
    if (filter.appName !== undefined) where.push("app_name = @appName");
    if (filter.streamName !== undefined) where.push("stream_name = @streamName");
    const rows = this.stmt(`SELECT * FROM recordings WHERE ${where.join(" AND ")} ORDER BY id LIMIT @take`).all({
      domain,
      afterId: page.afterId ?? "",
      take: page.limit + 1,
      ...filter,
    }) as RecordingRow[];
    const items = rows.slice(0, page.limit).map(toRecording);
    return { items, lastId: rows.length > page.limit ? items[items.length - 1].id : null };
  }

  async listUnfinishedRecordings(nodeId: string): Promise<RecordingRecord[]> {
    return (this.stmt("SELECT * FROM recordings WHERE ended_at IS NULL AND node_id IN (?, '') ORDER BY id").all(nodeId) as RecordingRow[]).map(toRecording);
  }

  async deleteRecording(domain: string, id: string): Promise<boolean> {
    return this.db.transaction(() => this.stmt("DELETE FROM recordings WHERE domain = ? AND id = ?").run(domain, id).changes > 0)();
  }

  private countSync(domain: string): number {
    return this.stmt("SELECT COUNT(*) FROM relay_templates WHERE domain = ?").pluck().get(domain) as number;
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }
}
