import pg from "pg";
import type { Logger } from "pino";
import { StoreUnavailableError } from "../store";
import { describeStoreUrl } from "./pg-url";

/** What runs a query: the pool (one statement, autocommit) or a transaction's client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

const POOL_SIZE = 10;
/**
 * node-postgres applies its connect timeout to the wait for a free pooled client too, and a burst
 * of writes into one domain queues behind that domain's lock: a short timeout turned a busy pool
 * into 503s. An unreachable database is answered at once instead, from the health flag below.
 */
const POOL_WAIT_MS = 30_000;
/** A statement without an answer for this long is treated as a lost connection (a half-open socket never errors by itself). */
const QUERY_TIMEOUT_MS = 30_000;
const HEALTH_EVERY_MS = 1_000;
/** 64-bit integers (COUNT, bigint ids and ms times) as numbers: every value the store keeps is far below 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser,
};

/** Connection errors: the database is down, restarting or unreachable (SQLSTATE class 08, admin/crash shutdown, socket errors). */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|Connection ended|not queryable|Query read timeout/i;

export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  return UNAVAILABLE_CODES.has(code) || code.startsWith("08") || (typeof e?.message === "string" && UNAVAILABLE_MESSAGE.test(e.message));
}

/**
 * The connection pool with what the store needs around it: transactions, connection errors
 * turned into StoreUnavailableError (the API's 503), and a health flag kept by a 1 s ping so
 * that /readyz fails while the database is unreachable. node-postgres drops a broken client
 * from the pool, so after a database restart the next queries open fresh connections.
 */
export class PgDb {
  readonly pool: pg.Pool;
  private healthy = true;
  private closed = false;
  private readonly ping: NodeJS.Timeout;

  constructor(
    readonly url: string,
    private readonly logger: Logger,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: POOL_WAIT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true, application_name: "liverelay", types: TYPES });
    // An idle client whose connection broke: the pool drops it; without a listener this would crash the process.
    this.pool.on("error", (err) => this.markDown(err));
    this.ping = setInterval(() => void this.checkHealth(), HEALTH_EVERY_MS);
    this.ping.unref();
  }

  isHealthy(): boolean {
    return !this.closed && this.healthy;
  }

  async query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> {
    return this.guard(async () => (await this.pool.query<R>(sql, params)).rows);
  }

  /** Runs `work` in one transaction (READ COMMITTED; the callers take the locks they need). */
  async tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      // The connection may break between two statements (the pool only listens while it is idle).
      const onError = (err: Error) => (broken = err);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        if (isUnavailable(err)) broken = err as Error;
        else await client.query("ROLLBACK").catch((e: Error) => (broken = e));
        throw err;
      } finally {
        client.off("error", onError);
        client.release(broken); // a broken connection is closed, not pooled
      }
    });
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the store is closed");
    // Known down (the 1 s ping says when it is back): answer now rather than queue for a connection.
    if (!this.healthy) throw new StoreUnavailableError();
    try {
      const result = await run();
      this.healthy = true;
      return result;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.markDown(err);
      throw new StoreUnavailableError();
    }
  }

  private async checkHealth(): Promise<void> {
    if (this.closed) return;
    try {
      await this.pool.query("SELECT 1");
      if (!this.healthy) this.logger.info({ store: describeStoreUrl(this.url) }, "store reachable again");
      this.healthy = true;
    } catch (err) {
      this.markDown(err);
    }
  }

  private markDown(err: unknown): void {
    if (this.healthy && !this.closed) this.logger.warn({ store: describeStoreUrl(this.url), error: (err as Error)?.message }, "store unreachable");
    this.healthy = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ping);
    await this.pool.end();
  }
}
