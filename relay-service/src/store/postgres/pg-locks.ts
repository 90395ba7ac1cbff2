/*
 * Advisory lock keys, all in one place so that no two uses collide. Session/transaction locks
 * with one bigint key and with two int keys live in separate key spaces in PostgreSQL.
 */

/** Held (session level) while migrations run: nodes starting together migrate once. */
export const MIGRATION_LOCK = 7_410_001;
/** Held (transaction level) by every transaction appending events: commit order = seq order. */
export const OUTBOX_LOCK = 7_410_002;
/** First key of the per-domain (second key: hashtext(domain)) transaction locks guarding a quota. */
export const TEMPLATE_QUOTA_SPACE = 7_410_010;
export const WEBHOOK_QUOTA_SPACE = 7_410_011;
