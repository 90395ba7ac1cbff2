/**
 * npm run bench:api — autocannon against the real service on loopback: GET by id, list,
 * create; on SQLite, on PostgreSQL with one node, and with three nodes on one PostgreSQL. Baseline measured in the same run: a bare node:http server answering the same
 * JSON from memory, i.e. the ceiling of this machine and Node for one request/response.
 * Writes the table into docs/benchmarks.md (between the api markers).
 */
import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import { machineLine, startBenchService } from "./service-process";
import { replaceSection } from "./report";
import { startPostgres } from "./postgres";

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);

interface Row {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function run(name: string, opts: autocannon.Options): Promise<Row> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...opts });
  return {
    name,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function baselineServer(body: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

type Endpoint = { name: string; path: (id: string) => string; method?: "POST" };
const ENDPOINTS: Endpoint[] = [
  { name: "GET /v1/domains/{d}/relay-templates/{id}", path: (id) => `/v1/domains/${DOMAIN}/relay-templates/${id}` },
  { name: "GET /v1/domains/{d}/relay-templates (50 items)", path: () => `/v1/domains/${DOMAIN}/relay-templates` },
  { name: "POST /v1/domains/{d}/relay-templates", path: () => `/v1/domains/${DOMAIN}/relay-templates`, method: "POST" },
];
const DOMAIN = "bench.example.com";

/** 50 templates in the bench domain; returns the first one's id. */
async function seed(url: string, headers: Record<string, string>): Promise<string> {
  let first = "";
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${url}/v1/domains/${DOMAIN}/relay-templates`, {
      method: "POST",
      headers,
      body: JSON.stringify({ appName: "live", streamName: `s${i}`, destinationUrl: `rtmp://dest.example.com/app/k${i}`, mode: "always" }),
    });
    first ||= ((await res.json()) as { id: string }).id;
  }
  return first;
}

/**
 * One endpoint against every node at once: the connections are split between the nodes, req/s
 * added up; p50 is the nodes' mean, p99 the worst node's.
 */
async function runSpread(name: string, urls: string[], endpoint: Endpoint, id: string, headers: Record<string, string>, counter: { n: number }): Promise<Row> {
  const connections = Math.ceil(CONNECTIONS / urls.length);
  const rows = await Promise.all(
    urls.map((url) =>
      run(name, {
        url: url + endpoint.path(id),
        connections,
        headers,
        ...(endpoint.method === "POST"
          ? {
              method: "POST" as const,
              requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify({ appName: "live", streamName: `c${++counter.n}`, destinationUrl: `rtmp://dest.example.com/app/key${counter.n}`, mode: "always" }) }) }],
            }
          : {}),
      }),
    ),
  );
  const sum = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0);
  return { name, reqPerSec: sum((r) => r.reqPerSec), p50: Math.round(sum((r) => r.p50) / rows.length), p99: Math.max(...rows.map((r) => r.p99)), errors: sum((r) => r.errors), non2xx: sum((r) => r.non2xx) };
}

/** The same endpoints on one store: SQLite, or PostgreSQL with one or three nodes. */
async function benchStore(label: string, nodes: number, store?: string): Promise<Row[]> {
  const args = ["--max-destinations-per-domain", "100000", "--log-level", "warn", ...(store ? ["--store", store] : [])];
  const services = await Promise.all(Array.from({ length: nodes }, () => startBenchService(args)));
  const headers = { authorization: `Bearer ${services[0].token}`, "content-type": "application/json" };
  const id = await seed(services[0].url, headers);
  const counter = { n: 0 };
  const rows: Row[] = [];
  for (const e of ENDPOINTS) rows.push(await runSpread(`${label}: ${e.name}`, services.map((s) => s.url), e, id, headers, counter));
  await Promise.all(services.map((s) => s.stop()));
  return rows;
}

async function main() {
  const baseline = await baselineServer(JSON.stringify({ id: "rt_0", domain: DOMAIN, appName: "live", streamName: "seed", destinationUrl: "rtmp://dest.example.com/app/seed", mode: "always" }));
  const rows = [await run("baseline: bare node:http, static JSON", { url: baseline.url })];
  baseline.close();
  rows.push(...(await benchStore("SQLite", 1)));
  const pg = await startPostgres();
  try {
    rows.push(...(await benchStore("PostgreSQL, 1 node", 1, await pg.createDatabase("bench"))));
    rows.push(...(await benchStore("PostgreSQL, 3 nodes", 3, await pg.createDatabase("bench"))));
  } finally {
    await pg.stop();
  }

  const table = [
    `Command: \`npm run bench:api\` (autocannon, ${CONNECTIONS} connections, ${DURATION_S} s each, service and load generator on the same machine;`,
    `PostgreSQL 15 local, started by the bench with fsync off; with 3 nodes the connections are split over the nodes, req/s summed, p50 averaged, p99 the worst node's).`,
    `Machine: ${machineLine()}. Run: ${new Date().toISOString()}. Load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")}.`,
    "",
    "| endpoint | req/s | p50 ms | p99 ms | errors | non-2xx |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.name} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`),
  ].join("\n");
  console.log(table);
  replaceSection("api", table);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
