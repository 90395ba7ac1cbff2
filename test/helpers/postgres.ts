// The throw-away PostgreSQL lives in bench/ (bench:api measures the PostgreSQL store with it).
export { startPostgres, type PostgresServer } from "../../bench/postgres";
