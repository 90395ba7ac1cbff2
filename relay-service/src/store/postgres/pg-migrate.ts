import type pg from "pg";
import { MIGRATION_LOCK } from "./pg-locks";

/** One schema version. Never edit a released migration: add the next file (see migrations/index.ts). */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies the migrations the database lacks, each in its own transaction, under a session
 * advisory lock: a node starting while another migrates waits, then finds nothing left to do.
 * Returns the versions this call applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly PgMigration[]): Promise<number[]> {
  checkOrder(migrations);
  const client = await pool.connect();
  const onError = () => undefined; // a connection lost mid-migration fails the query in progress; the start fails
  client.on("error", onError);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const applied = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations.filter((m) => !applied.has(m.version))) {
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      done.push(m.version);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    client.off("error", onError);
    client.release(true); // a session lock must not outlive this: never pool this connection
  }
}

function checkOrder(migrations: readonly PgMigration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`PostgreSQL migrations must be numbered 1, 2, 3… in order; found ${m.version} at position ${i + 1}`);
  });
}
