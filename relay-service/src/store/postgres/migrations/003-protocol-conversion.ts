import type { PgMigration } from "../pg-migrate";

/** Cross-protocol relays: a template's protocolConversion, as SQLite's version 8. */
export const migration: PgMigration = {
  version: 3,
  name: "relay templates: protocolConversion",
  sql: `
    ALTER TABLE relay_templates ADD COLUMN protocol_conversion BOOLEAN NOT NULL DEFAULT false;
  `,
};
