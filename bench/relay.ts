/**
 * npm run bench:relay — cost and latency of copy relays, against plain ffmpeg in the same run.
 *
 * Source: a pre-encoded 720p30 H.264 2.5 Mbit/s + AAC file (2 s GOP), published with
 * `ffmpeg -re -stream_loop -1 -c copy` and, through the tee muxer, also sent straight to the
 * sink: the direct copy is the reference clock for start and hop latency.
 * Destinations: one in-process RTMP sink (the project's RTMP server) taking every connection.
 * Ours: the service's CPU and memory with N relays minus the same with none, divided by N.
 * Baseline: N `ffmpeg -re -stream_loop -1 -i source.flv -c copy -f flv <dest>` processes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import pino from "pino";
import { RtmpServer } from "@liverelay/service/dist/rtmp";
import { machineLine, startBenchService, type BenchService } from "./service-process";
import { childPids, cpuPercent, memory, percentile, sumMemory, type Memory } from "./proc-stats";
import { replaceSection } from "./report";
import { benchSource } from "./source";
import { RelayApi } from "./relay-api";

const COUNTS = (process.env.BENCH_RELAY_COUNTS ?? "1,10,50").split(",").map(Number);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const LATENCY_ROUNDS = 3;
const LATENCY_RELAYS = 10;

interface Arrivals {
  first?: number;
  byTimestamp: Map<number, number>;
}

/** Every publish to the sink is accepted; per stream path it records when video tags arrive. */
async function startSink() {
  const arrivals = new Map<string, Arrivals>();
  const server = new RtmpServer({
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    onPublish(req) {
      const key = `${req.app}/${req.streamName}`;
      const a: Arrivals = { byTimestamp: new Map() };
      arrivals.set(key, a);
      return {
        accept: true,
        sink: {
          onTag(type, timestamp) {
            const now = performance.now();
            a.first ??= now;
            if (type === 9 && !a.byTimestamp.has(timestamp)) a.byTimestamp.set(timestamp, now);
          },
          onEnd() {},
        },
      };
    },
  });
  await server.listen();
  return { server, arrivals, url: (p: string) => `rtmp://127.0.0.1:${server.port}/${p}` };
}


const ffmpeg = (args: string[]): ChildProcess => spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", ...args], { stdio: "ignore" });
const publish = (source: string, outputs: string[]) =>
  ffmpeg(["-re", "-stream_loop", "-1", "-i", source, "-map", "0", "-c", "copy", "-f", "tee", outputs.map((o) => `[f=flv]${o}`).join("|")]);
const stopProc = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once("exit", () => r()), p.kill("SIGKILL"))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(100);
}

/** Start latency (relay's first byte − direct first byte) and hop latency (same video timestamp, relay − direct). */
async function measureLatency(svc: BenchService, api: RelayApi, sink: Awaited<ReturnType<typeof startSink>>, source: string) {
  const start: number[] = [];
  const hop: number[] = [];
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    const ids = await api.createRelays(LATENCY_RELAYS, (i) => sink.url(`lat${round}/r${i}`));
    const pub = publish(source, [`rtmp://127.0.0.1:${svc.rtmpPort}/live/show?vhost=bench.example.com`, sink.url(`lat${round}/direct`)]);
    await sleep(8_000);
    const direct = sink.arrivals.get(`lat${round}/direct`);
    for (let i = 0; i < LATENCY_RELAYS; i++) {
      const relayed = sink.arrivals.get(`lat${round}/r${i}`);
      if (!direct?.first || !relayed?.first) continue;
      start.push(relayed.first - direct.first);
      const deltas: number[] = [];
      for (const [ts, at] of relayed.byTimestamp) {
        const d = direct.byTimestamp.get(ts);
        if (d !== undefined) deltas.push(at - d);
      }
      if (deltas.length > 0) hop.push(percentile(deltas, 50));
    }
    await stopProc(pub);
    await api.deleteAll(ids);
    await sleep(1_500);
  }
  return { startP50: percentile(start, 50), startP95: percentile(start, 95), hopP50: percentile(hop, 50), samples: start.length };
}

interface CostRow {
  n: number;
  oursCpu: number;
  baseCpu: number;
  ours: Memory;
  base: Memory;
}

async function measureCost(svc: BenchService, api: RelayApi, sink: Awaited<ReturnType<typeof startSink>>, source: string): Promise<CostRow[]> {
  const pub = publish(source, [`rtmp://127.0.0.1:${svc.rtmpPort}/live/show?vhost=bench.example.com`]);
  await sleep(3_000);
  const svcPid = svc.child.pid!;
  const idleCpu = await cpuPercent(() => [svcPid], MEASURE_MS);
  const idleMem = memory(svcPid);
  const rows: CostRow[] = [];
  for (const n of COUNTS) {
    const ids = await api.createRelays(n, (i) => sink.url(`ours${n}/r${i}`));
    await api.waitRelaying(n);
    await sleep(3_000);
    const oursTotal = await cpuPercent(() => [svcPid, ...childPids(svcPid)], MEASURE_MS);
    const oursMem = sumMemory([memory(svcPid), ...childPids(svcPid).map(memory)]);
    await api.deleteAll(ids);
    await waitFor(() => childPids(svcPid).length === 0, 15_000);

    const baseline = Array.from({ length: n }, (_, i) => ffmpeg(["-re", "-stream_loop", "-1", "-i", source, "-map", "0", "-c", "copy", "-f", "flv", sink.url(`base${n}/b${i}`)]));
    await sleep(4_000);
    const pids = baseline.map((p) => p.pid!);
    const baseCpu = await cpuPercent(() => pids, MEASURE_MS);
    const baseMem = sumMemory(pids.map(memory));
    await Promise.all(baseline.map(stopProc));
    rows.push({
      n,
      oursCpu: (oursTotal - idleCpu) / n,
      baseCpu: baseCpu / n,
      ours: { rssMb: (oursMem.rssMb - idleMem.rssMb) / n, pssMb: (oursMem.pssMb - idleMem.pssMb) / n, privateMb: (oursMem.privateMb - idleMem.privateMb) / n },
      base: { rssMb: baseMem.rssMb / n, pssMb: baseMem.pssMb / n, privateMb: baseMem.privateMb / n },
    });
    console.log(rows[rows.length - 1]);
  }
  await stopProc(pub);
  return rows;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");

async function main() {
  const source = benchSource({ container: "flv" });
  const sink = await startSink();
  const svc = await startBenchService(["--log-level", "warn", "--max-destinations-per-domain", "1000"]);
  const api = new RelayApi(svc);
  try {
    const latency = await measureLatency(svc, api, sink, source);
    console.log(latency);
    const rows = await measureCost(svc, api, sink, source);
    const table = [
      "Command: `npm run bench:relay`. Source: 720p30 H.264 2.5 Mbit/s + AAC 128 kbit/s, 2 s GOP, looped with `-re`.",
      `Machine: ${machineLine()}. Run: ${new Date().toISOString()}. CPU averaged over ${MEASURE_MS / 1000} s per row.`,
      "",
      "Per relay: ours = (service + its ffmpeg workers with N relays − service with none) / N; baseline = N plain `ffmpeg -re -i source -c copy -f flv <dest>` / N.",
      "",
      "| N | ours CPU % | baseline CPU % | ratio | ours RSS MB | ours PSS MB | ours private MB | baseline RSS MB | baseline PSS MB | baseline private MB | private ratio |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map((r) =>
        `| ${r.n} | ${f2(r.oursCpu)} | ${f2(r.baseCpu)} | ${f2(r.oursCpu / r.baseCpu)} | ${f1(r.ours.rssMb)} | ${f1(r.ours.pssMb)} | ${f1(r.ours.privateMb)} | ${f1(r.base.rssMb)} | ${f1(r.base.pssMb)} | ${f1(r.base.privateMb)} | ${f2(r.ours.privateMb / r.base.privateMb)} |`),
      "",
      `Latency (${latency.samples} relays over ${LATENCY_ROUNDS} publishes, ${LATENCY_RELAYS} relays each; reference = the publisher's direct copy to the same sink):`,
      "",
      "| relay start p50 ms | relay start p95 ms | added hop latency p50 ms |",
      "|---:|---:|---:|",
      `| ${f1(latency.startP50)} | ${f1(latency.startP95)} | ${f1(latency.hopP50)} |`,
    ].join("\n");
    console.log(table);
    replaceSection("relay", table);
  } finally {
    await svc.stop();
    await sink.server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
