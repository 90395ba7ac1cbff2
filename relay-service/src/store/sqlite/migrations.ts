/**
 * Versioned schema migrations, applied in order, each in its own transaction.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "relay templates and idempotency keys",
    sql: `
      CREATE TABLE relay_templates (
        id              TEXT PRIMARY KEY,
        domain          TEXT NOT NULL,
        app_name        TEXT NOT NULL,
        stream_name     TEXT NOT NULL,
        destination_url TEXT NOT NULL,
        mode            TEXT NOT NULL CHECK (mode IN ('always', 'time')),
        start_time      TEXT,
        end_time        TEXT,
        description     TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (domain, app_name, stream_name, destination_url)
      );
      CREATE INDEX relay_templates_by_domain ON relay_templates (domain, id);
      CREATE TABLE idempotency_keys (
        scope        TEXT NOT NULL,
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response     TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
    `,
  },
  {
    version: 2,
    name: "ingest auth per domain",
    sql: `
      CREATE TABLE ingest_auth (
        domain         TEXT PRIMARY KEY,
        key            TEXT NOT NULL,
        srt_passphrase TEXT,
        updated_at     TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "media processing: transcode templates, snapshot and recording configs, recording index",
    sql: `
      CREATE TABLE transcode_templates (
        domain     TEXT NOT NULL,
        id         TEXT NOT NULL,
        app_name   TEXT NOT NULL,
        spec       TEXT NOT NULL, -- JSON {video, audio}, as validated by the API
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (domain, id)
      );
      CREATE TABLE snapshot_configs (
        domain           TEXT NOT NULL,
        app_name         TEXT NOT NULL,
        interval_seconds INTEGER NOT NULL,
        keep             INTEGER NOT NULL,
        updated_at       TEXT NOT NULL,
        PRIMARY KEY (domain, app_name)
      );
      CREATE TABLE recording_configs (
        domain          TEXT NOT NULL,
        app_name        TEXT NOT NULL,
        format          TEXT NOT NULL CHECK (format IN ('mp4', 'flv', 'hls')),
        segment_seconds INTEGER NOT NULL,
        updated_at      TEXT NOT NULL,
        PRIMARY KEY (domain, app_name)
      );
      CREATE TABLE recordings (
        id               TEXT PRIMARY KEY,
        domain           TEXT NOT NULL,
        app_name         TEXT NOT NULL,
        stream_name      TEXT NOT NULL,
        format           TEXT NOT NULL,
        path             TEXT NOT NULL,
        started_at       TEXT NOT NULL,
        ended_at         TEXT,
        duration_seconds REAL,
        bytes            INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX recordings_by_domain ON recordings (domain, id);
      CREATE INDEX recordings_unfinished ON recordings (id) WHERE ended_at IS NULL;
    `,
  },
  {
    version: 4,
    name: "domain events outbox, webhooks and their deliveries",
    sql: `
      CREATE TABLE events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        domain      TEXT NOT NULL,
        type        TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        data        TEXT NOT NULL -- JSON, never a secret
      );
      CREATE INDEX events_by_domain ON events (domain, seq);
      CREATE TABLE webhooks (
        domain      TEXT NOT NULL,
        id          TEXT NOT NULL,
        url         TEXT NOT NULL,
        events      TEXT NOT NULL, -- JSON array of types, or ["*"]
        secret      TEXT NOT NULL,
        description TEXT,
        enabled     INTEGER NOT NULL,
        cursor      INTEGER NOT NULL, -- the last event seq this webhook is done with
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (domain, id)
      );
      CREATE TABLE webhook_deliveries (
        id              TEXT PRIMARY KEY,
        domain          TEXT NOT NULL,
        webhook_id      TEXT NOT NULL,
        event_seq       INTEGER NOT NULL,
        event_id        TEXT NOT NULL,
        event_type      TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        created_at      TEXT NOT NULL,
        recent_attempts TEXT NOT NULL DEFAULT '[]', -- JSON, the latest few
        FOREIGN KEY (domain, webhook_id) REFERENCES webhooks (domain, id) ON DELETE CASCADE
      );
      CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (domain, webhook_id, id);
      CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (domain, webhook_id) WHERE status = 'pending';
    `,
  },
  {
    version: 5,
    name: "per-domain ingest settings (publisher takeover)",
    sql: `
      CREATE TABLE ingest_settings (
        domain             TEXT PRIMARY KEY,
        publisher_takeover INTEGER NOT NULL CHECK (publisher_takeover IN (0, 1)),
        updated_at         TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: "webhook delivery claims; one delivery per webhook and event",
    sql: `
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER; -- ms since epoch until which one worker holds the attempt
      CREATE UNIQUE INDEX webhook_deliveries_one_per_event ON webhook_deliveries (domain, webhook_id, event_seq);
    `,
  },
  {
    version: 7,
    name: "playback: per-domain play key (signed read URLs) and open playback",
    sql: `
      ALTER TABLE ingest_auth ADD COLUMN play_key TEXT;
      ALTER TABLE ingest_settings ADD COLUMN open_playback INTEGER NOT NULL DEFAULT 0 CHECK (open_playback IN (0, 1));
    `,
  },
  {
    version: 8,
    name: "relay templates: protocolConversion",
    sql: `
      ALTER TABLE relay_templates ADD COLUMN protocol_conversion INTEGER NOT NULL DEFAULT 0 CHECK (protocol_conversion IN (0, 1));
    `,
  },
  {
    version: 9,
    name: "cluster: nodes, stream leases, relay status published by the holding node",
    sql: `
      CREATE TABLE cluster_nodes (
        id           TEXT PRIMARY KEY,
        public_hosts TEXT NOT NULL, -- JSON array
        rtmp_port    INTEGER NOT NULL,
        srt_port     INTEGER NOT NULL,
        http_url     TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL -- ms since epoch
      );
      CREATE TABLE stream_leases (
        domain      TEXT NOT NULL,
        app_name    TEXT NOT NULL,
        stream_name TEXT NOT NULL,
        node_id     TEXT NOT NULL,
        session_id  TEXT NOT NULL UNIQUE,
        info        TEXT NOT NULL, -- JSON, the holder's media facts
        expires_at  INTEGER NOT NULL, -- ms since epoch
        PRIMARY KEY (domain, app_name, stream_name)
      );
      CREATE TABLE relay_status (
        template_id TEXT PRIMARY KEY,
        domain      TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        node_id     TEXT NOT NULL,
        status      TEXT NOT NULL, -- JSON RelayStatus, never a secret
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX relay_status_by_domain ON relay_status (domain);
      CREATE INDEX relay_status_by_session ON relay_status (session_id);
    `,
  },
  {
    version: 10,
    name: "recordings: the node writing each (crash recovery closes only its own)",
    sql: `
      -- '' for rows written before: the one node there was then recovers them.
      ALTER TABLE recordings ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
      DROP INDEX recordings_unfinished;
      CREATE INDEX recordings_unfinished ON recordings (node_id, id) WHERE ended_at IS NULL;
    `,
  },
];
