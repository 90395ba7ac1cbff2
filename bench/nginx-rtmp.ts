import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** nginx-rtmp as a real RTMP server on loopback: the sink (and `push` relays) of bench:relay, and a destination in the tests. */

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

export interface NginxRtmp {
  pid: number;
  /** rtmp://127.0.0.1:PORT */
  rtmpUrl: string;
  rtmpPort: number;
  /** Where `record all` writes `<stream>.flv` for the sink application. */
  recordDir: string;
  statUrl: string;
  stop(): Promise<void>;
  /** Received bits/s per stream name of `app`, from the /stat page (0 for a stream that is not there). */
  streams(app?: string): Promise<Map<string, { bwIn: number; bytesIn: number }>>;
  stderr(): string;
}

export interface NginxRtmpOptions {
  /** Record what arrives in the sink application into recordDir (default true). */
  record?: boolean;
  /** Extra directives inside `application sink { … }`. */
  sinkDirectives?: string[];
  /** More applications: name → directives. */
  applications?: Record<string, string[]>;
  rtmpPort?: number;
}

/**
 * nginx with the RTMP module, started in the foreground from a generated config in its own
 * directory: an `application sink { live on; }` that takes any publish, and `rtmp_stat` on HTTP.
 */
export async function startNginxRtmp(opts: NginxRtmpOptions = {}): Promise<NginxRtmp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-nginx-"));
  const recordDir = path.join(dir, "record");
  fs.mkdirSync(recordDir);
  fs.mkdirSync(path.join(dir, "logs"));
  const rtmpPort = opts.rtmpPort ?? (await freePort());
  const httpPort = await freePort();
  const record = opts.record === false ? [] : ["record all;", `record_path ${recordDir};`, "record_unique off;"];
  const apps = Object.entries(opts.applications ?? {}).map(([name, lines]) => `    application ${name} { live on; ${lines.join(" ")} }`);
  const conf = `load_module ${RTMP_MODULE};
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    chunk_size 4096;
    application sink { live on; ${[...record, ...(opts.sinkDirectives ?? [])].join(" ")} }
${apps.join("\n")}
  }
}
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server { listen 127.0.0.1:${httpPort}; location /stat { rtmp_stat all; } }
}
`;
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  const child = spawn("nginx", ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "logs", "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-8192)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const statUrl = `http://127.0.0.1:${httpPort}/stat`;
  await waitFor("nginx-rtmp up", async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}${readLog(dir)}`);
    return (await fetch(statUrl)).ok;
  }, 10_000);
  return {
    pid: child.pid!,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}`,
    rtmpPort,
    recordDir,
    statUrl,
    stderr: () => err + readLog(dir),
    async stop() {
      if (child.exitCode === null) child.kill("SIGQUIT");
      const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(force);
    },
    async streams(app = "sink") {
      return parseStat(await (await fetch(statUrl)).text(), app);
    },
  };
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, "logs", "error.log"), "utf8").slice(-4096);
  } catch {
    return "";
  }
}

/** The streams of one application in nginx-rtmp's /stat XML. */
export function parseStat(xml: string, app: string): Map<string, { bwIn: number; bytesIn: number }> {
  const out = new Map<string, { bwIn: number; bytesIn: number }>();
  for (const a of xml.split("<application>").slice(1)) {
    if (!a.trimStart().startsWith(`<name>${app}</name>`)) continue;
    for (const s of a.split("<stream>").slice(1)) {
      const name = /<name>([^<]*)<\/name>/.exec(s)?.[1];
      const publishing = s.includes("<publishing/>");
      if (!name || !publishing) continue;
      out.set(name, { bwIn: Number(/<bw_in>(\d+)<\/bw_in>/.exec(s)?.[1] ?? 0), bytesIn: Number(/<bytes_in>(\d+)<\/bytes_in>/.exec(s)?.[1] ?? 0) });
    }
  }
  return out;
}

