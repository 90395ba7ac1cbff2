import type { PgMigration } from "../pg-migrate";
import { migration as m001 } from "./001-control-plane";
import { migration as m002 } from "./002-playback";
import { migration as m003 } from "./003-protocol-conversion";
import { migration as m004 } from "./004-cluster";
import { migration as m005 } from "./005-recording-node";

/**
 * Every PostgreSQL schema version, in order: one file per version (NNN-what.ts exporting
 * `migration`), numbered 1, 2, 3…; to add one, write the next file and append it here.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [m001, m002, m003, m004, m005];
