/**
 * npm run bench:api — autocannon against the real service on loopback: GET by id, list,
 * create. Baseline measured in the same run: a bare node:http server answering the same
 * JSON from memory, i.e. the ceiling of this machine and Node for one request/response.
 * Writes the table into docs/benchmarks.md (between the api markers).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import { machineLine, startBenchService } from "./service-process";
import { replaceSection } from "./report";

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

async function main() {
  const svc = await startBenchService(["--max-destinations-per-domain", "100000", "--log-level", "warn"]);
  const headers = { authorization: `Bearer ${svc.token}`, "content-type": "application/json" };
  const domain = "bench.example.com";
  const seed = await fetch(`${svc.url}/v1/domains/${domain}/relay-templates`, {
    method: "POST",
    headers,
    body: JSON.stringify({ appName: "live", streamName: "seed", destinationUrl: "rtmp://dest.example.com/app/seed", mode: "always" }),
  });
  const template = (await seed.json()) as { id: string };
  for (let i = 0; i < 49; i++) {
    await fetch(`${svc.url}/v1/domains/${domain}/relay-templates`, {
      method: "POST",
      headers,
      body: JSON.stringify({ appName: "live", streamName: `s${i}`, destinationUrl: `rtmp://dest.example.com/app/k${i}`, mode: "always" }),
    });
  }
  const baseline = await baselineServer(JSON.stringify(template));
  let n = 0;
  const rows = [
    await run("baseline: bare node:http, static JSON", { url: baseline.url }),
    await run("GET /v1/domains/{d}/relay-templates/{id}", { url: `${svc.url}/v1/domains/${domain}/relay-templates/${template.id}`, headers }),
    await run("GET /v1/domains/{d}/relay-templates (50 items)", { url: `${svc.url}/v1/domains/${domain}/relay-templates`, headers }),
    await run("POST /v1/domains/{d}/relay-templates", {
      url: `${svc.url}/v1/domains/${domain}/relay-templates`,
      method: "POST",
      headers,
      requests: [
        {
          setupRequest: (req) => {
            n++;
            return { ...req, body: JSON.stringify({ appName: "live", streamName: `c${n}`, destinationUrl: `rtmp://dest.example.com/app/key${n}`, mode: "always" }) };
          },
        },
      ],
    }),
  ];
  baseline.close();
  await svc.stop();

  const table = [
    `Command: \`npm run bench:api\` (autocannon, ${CONNECTIONS} connections, ${DURATION_S} s each, service and load generator on the same machine).`,
    `Machine: ${machineLine()}. Run: ${new Date().toISOString()}.`,
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
