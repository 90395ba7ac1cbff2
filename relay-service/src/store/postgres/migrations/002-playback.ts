import type { PgMigration } from "../pg-migrate";

/** Playback: the per-domain play key (signed read URLs) and open playback, as SQLite's version 7. */
export const migration: PgMigration = {
  version: 2,
  name: "playback: per-domain play key and open playback",
  sql: `
    ALTER TABLE ingest_auth ADD COLUMN play_key TEXT;
    ALTER TABLE ingest_settings ADD COLUMN open_playback BOOLEAN NOT NULL DEFAULT false;
  `,
};
