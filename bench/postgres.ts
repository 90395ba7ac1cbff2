import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const run = promisify(execFile);
const PG_BIN = process.env.LIVERELAY_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** A throw-away PostgreSQL cluster: one per test file (or bench run), a fresh database per suite. */
export interface PostgresServer {
  port: number;
  /** Superuser URL of the `postgres` database (trust authentication on 127.0.0.1). */
  adminUrl: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (fast shutdown: open connections are cut), waits `downMs`, starts it again on the same port. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL 15 in a temporary directory. PostgreSQL refuses to run as root, so
 * under root every server command runs as the `postgres` user (runuser); its unix socket lives
 * in the temporary directory and it listens on 127.0.0.1 only, on a free port.
 */
export async function startPostgres(): Promise<PostgresServer> {
  if (!fs.existsSync(path.join(PG_BIN, "initdb"))) throw new Error(`PostgreSQL server binaries not found in ${PG_BIN}: run scripts/setup.sh --test (Debian package postgresql)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-pg-"));
  const data = path.join(dir, "data");
  const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  if (asPostgres.length > 0) await run("chown", ["postgres:postgres", dir]);
  fs.chmodSync(dir, 0o700);
  const pg = (bin: string, args: string[]) => {
    const [cmd, ...rest] = [...asPostgres, path.join(PG_BIN, bin), ...args];
    return run(cmd, rest, { timeout: 60_000 });
  };
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  const port = await freePort();
  // fsync off: a test cluster need not survive a power cut, and the machine is shared.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  const start = () => pg("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "start"]);
  const stopServer = () => pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  await start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    port,
    adminUrl,
    async createDatabase(prefix = "t") {
      const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart(opts = {}) {
      await stopServer();
      if (opts.downMs) await new Promise((resolve) => setTimeout(resolve, opts.downMs));
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
