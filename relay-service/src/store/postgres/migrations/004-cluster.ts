import type { PgMigration } from "../pg-migrate";

/** Cluster membership: nodes, who holds each live stream (leases on the database's clock), relay status from the holders. */
export const migration: PgMigration = {
  version: 4,
  name: "cluster: nodes, stream leases, relay status published by the holding node",
  sql: `
    CREATE TABLE cluster_nodes (
      id           TEXT PRIMARY KEY,
      public_hosts TEXT NOT NULL, -- JSON array
      rtmp_port    INTEGER NOT NULL,
      srt_port     INTEGER NOT NULL,
      http_url     TEXT NOT NULL,
      heartbeat_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE stream_leases (
      domain      TEXT NOT NULL,
      app_name    TEXT NOT NULL,
      stream_name TEXT NOT NULL,
      node_id     TEXT NOT NULL,
      session_id  TEXT NOT NULL UNIQUE,
      info        TEXT NOT NULL, -- JSON, the holder's media facts
      expires_at  TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (domain, app_name, stream_name)
    );
    CREATE TABLE relay_status (
      template_id TEXT PRIMARY KEY,
      domain      TEXT NOT NULL,
      session_id  TEXT NOT NULL,
      node_id     TEXT NOT NULL,
      status      TEXT NOT NULL, -- JSON RelayStatus, never a secret
      updated_at  TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX relay_status_by_domain ON relay_status (domain);
    CREATE INDEX relay_status_by_session ON relay_status (session_id);
  `,
};
