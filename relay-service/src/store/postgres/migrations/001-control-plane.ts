import type { PgMigration } from "../pg-migrate";

/**
 * The single-node schema, as in SQLite: same tables, same column names, times as ISO text (so
 * both stores return identical records), JSON as text, booleans and 64-bit integers native. Keys sort
 * byte-wise (COLLATE "C"), as in SQLite, whatever the database's locale: paging is `id > last`.
 */
export const migration: PgMigration = {
  version: 1,
  name: "relay templates, idempotency keys, ingest auth and settings, media processing, events outbox, webhooks",
  sql: `
    CREATE TABLE relay_templates (
      id              TEXT COLLATE "C" PRIMARY KEY,
      domain          TEXT COLLATE "C" NOT NULL,
      app_name        TEXT COLLATE "C" NOT NULL,
      stream_name     TEXT NOT NULL,
      destination_url TEXT NOT NULL,
      mode            TEXT NOT NULL CHECK (mode IN ('always', 'time')),
      start_time      TEXT,
      end_time        TEXT,
      description     TEXT,
      created_at      TEXT NOT NULL,
      updated_at      TEXT NOT NULL
    );
    -- md5: a 2048-character URL may not fit a btree entry.
    CREATE UNIQUE INDEX relay_templates_unique_destination ON relay_templates (domain, app_name, stream_name, md5(destination_url));
    CREATE INDEX relay_templates_by_domain ON relay_templates (domain, id);

    CREATE TABLE idempotency_keys (
      scope        TEXT NOT NULL,
      key          TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      response     TEXT NOT NULL,
      created_at   BIGINT NOT NULL,
      PRIMARY KEY (scope, key)
    );
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

    CREATE TABLE ingest_auth (
      domain         TEXT COLLATE "C" PRIMARY KEY,
      key            TEXT NOT NULL,
      srt_passphrase TEXT,
      updated_at     TEXT NOT NULL
    );
    CREATE TABLE ingest_settings (
      domain             TEXT COLLATE "C" PRIMARY KEY,
      publisher_takeover BOOLEAN NOT NULL,
      updated_at         TEXT NOT NULL
    );

    CREATE TABLE transcode_templates (
      domain     TEXT COLLATE "C" NOT NULL,
      id         TEXT COLLATE "C" NOT NULL,
      app_name   TEXT COLLATE "C" NOT NULL,
      spec       TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, id)
    );
    CREATE TABLE snapshot_configs (
      domain           TEXT COLLATE "C" NOT NULL,
      app_name         TEXT COLLATE "C" NOT NULL,
      interval_seconds INTEGER NOT NULL,
      keep             INTEGER NOT NULL,
      updated_at       TEXT NOT NULL,
      PRIMARY KEY (domain, app_name)
    );
    CREATE TABLE recording_configs (
      domain          TEXT COLLATE "C" NOT NULL,
      app_name        TEXT COLLATE "C" NOT NULL,
      format          TEXT NOT NULL CHECK (format IN ('mp4', 'flv', 'hls')),
      segment_seconds INTEGER NOT NULL,
      updated_at      TEXT NOT NULL,
      PRIMARY KEY (domain, app_name)
    );
    CREATE TABLE recordings (
      id               TEXT COLLATE "C" PRIMARY KEY,
      domain           TEXT COLLATE "C" NOT NULL,
      app_name         TEXT COLLATE "C" NOT NULL,
      stream_name      TEXT NOT NULL,
      format           TEXT NOT NULL,
      path             TEXT NOT NULL,
      started_at       TEXT NOT NULL,
      ended_at         TEXT,
      duration_seconds DOUBLE PRECISION,
      bytes            BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX recordings_by_domain ON recordings (domain, id);
    CREATE INDEX recordings_unfinished ON recordings (id) WHERE ended_at IS NULL;

    CREATE TABLE events (
      seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      domain      TEXT COLLATE "C" NOT NULL,
      type        TEXT NOT NULL,
      occurred_at TEXT NOT NULL,
      data        TEXT NOT NULL
    );
    CREATE INDEX events_by_domain ON events (domain, seq);

    CREATE TABLE webhooks (
      domain      TEXT COLLATE "C" NOT NULL,
      id          TEXT COLLATE "C" NOT NULL,
      url         TEXT NOT NULL,
      events      TEXT NOT NULL,
      secret      TEXT NOT NULL,
      description TEXT,
      enabled     BOOLEAN NOT NULL,
      cursor      BIGINT NOT NULL,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL,
      PRIMARY KEY (domain, id)
    );
    CREATE TABLE webhook_deliveries (
      id              TEXT COLLATE "C" PRIMARY KEY,
      domain          TEXT COLLATE "C" NOT NULL,
      webhook_id      TEXT COLLATE "C" NOT NULL,
      event_seq       BIGINT NOT NULL,
      event_id        TEXT NOT NULL,
      event_type      TEXT NOT NULL,
      status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at BIGINT,
      created_at      TEXT NOT NULL,
      recent_attempts TEXT NOT NULL DEFAULT '[]',
      -- ms since epoch (database clock) until which one node holds the attempt.
      claimed_until   BIGINT,
      FOREIGN KEY (domain, webhook_id) REFERENCES webhooks (domain, id) ON DELETE CASCADE,
      -- Two nodes opening the delivery of the same event get the same row.
      UNIQUE (domain, webhook_id, event_seq)
    );
    CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (domain, webhook_id, id);
    CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (domain, webhook_id) WHERE status = 'pending';
  `,
};
