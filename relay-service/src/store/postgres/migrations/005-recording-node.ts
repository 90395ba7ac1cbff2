import type { PgMigration } from "../pg-migrate";

/** Each recording names the node writing it: a starting node closes only its own open recordings, never a live peer's. */
export const migration: PgMigration = {
  version: 5,
  name: "recordings: the node writing each (crash recovery closes only its own)",
  sql: `
    -- '' for rows written before: the one node there was then recovers them.
    ALTER TABLE recordings ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
    DROP INDEX IF EXISTS recordings_unfinished;
    CREATE INDEX recordings_unfinished ON recordings (node_id, id) WHERE ended_at IS NULL;
  `,
};
