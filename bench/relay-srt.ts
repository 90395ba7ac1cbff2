/**
 * npm run bench:relay, second part — cost of SRT relays and of SRT ingest, against plain
 * ffmpeg in the same run.
 *
 * Source: a pre-encoded 720p30 H.264 2.5 Mbit/s + AAC MPEG-TS file (2 s GOP), published over
 * SRT with `ffmpeg -re -stream_loop -1 -c copy`.
 * Destinations: one in-process SRT listener (the project's own SrtServer: one UDP port, each
 * relay told apart by its streamid) that only counts bytes. N ffmpeg listeners writing to
 * /dev/null would each cost about what a relay costs, on the same 2 cores as what is measured.
 * Ours: the service's CPU and memory with N relays minus the same with none, divided by N. Since
 * the in-process SRT engine (relay/srt-relay.ts) that is the addon's caller thread and libsrt's
 * threads inside the service; there are no relay worker processes any more.
 * Baseline: N `ffmpeg -re -stream_loop -1 -i source.ts -c copy -f mpegts srt://…` processes.
 * Ingest: the service's CPU with one ~5 Mbit/s SRT publisher and no relays, minus idle, per Mbit/s.
 *
 * Knobs: BENCH_SRT_RELAY_COUNTS (default "1,10,50"), BENCH_MEASURE_MS (default 10000).
 */
import { spawn, type ChildProcess } from "node:child_process";
import pino from "pino";
import { SrtServer } from "@liverelay/service/dist/srt";
import { machineLine, startBenchService, type BenchService } from "./service-process";
import { childPids, cpuPercent, memory, sumMemory, type Memory } from "./proc-stats";
import { replaceSection } from "./report";
import { benchSource } from "./source";
import { BENCH_DOMAIN, RelayApi } from "./relay-api";

const COUNTS = (process.env.BENCH_SRT_RELAY_COUNTS ?? "1,10,50").split(",").map(Number);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const SETTLE_MS = 3_000;

type Sink = Awaited<ReturnType<typeof startSink>>;

/** Accepts every caller; counts the bytes each streamid delivered. */
async function startSink() {
  const bytes = new Map<string, number>();
  const server = new SrtServer({
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    authorize: () => ({ accept: true }),
    onConnection(conn) {
      conn.on("data", (chunk) => bytes.set(conn.streamId, (bytes.get(conn.streamId) ?? 0) + chunk.length));
    },
  });
  await server.listen();
  return { server, bytes, url: (streamId: string) => `srt://127.0.0.1:${server.port}?streamid=${streamId}` };
}


const ffmpeg = (args: string[]): ChildProcess => spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", ...args], { stdio: "ignore" });
const sendLoop = (source: string, url: string) => ffmpeg(["-re", "-stream_loop", "-1", "-i", source, "-map", "0", "-c", "copy", "-f", "mpegts", url]);
const ingestUrl = (svc: BenchService, streamName: string) => `srt://127.0.0.1:${svc.srtPort}?streamid=#!::h=${BENCH_DOMAIN},r=live/${streamName},m=publish`;
const stopProc = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once("exit", () => r()), p.kill("SIGKILL"))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perRelay = (m: Memory, n: number, minus: Memory = { rssMb: 0, pssMb: 0, privateMb: 0 }): Memory => ({
  rssMb: (m.rssMb - minus.rssMb) / n,
  pssMb: (m.pssMb - minus.pssMb) / n,
  privateMb: (m.privateMb - minus.privateMb) / n,
});

async function waitFor(cond: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(100);
}

/** How many of `ids` the sink is receiving from right now (bytes grew over one second). */
async function delivering(sink: Sink, ids: string[]): Promise<number> {
  const before = ids.map((id) => sink.bytes.get(id) ?? 0);
  await sleep(1_000);
  return ids.filter((id, i) => (sink.bytes.get(id) ?? 0) > before[i]).length;
}

interface CostRow {
  n: number;
  oursCpu: number;
  baseCpu: number;
  ours: Memory;
  base: Memory;
  delivering: { ours: number; base: number };
}

async function measureOurs(svc: BenchService, api: RelayApi, sink: Sink, n: number) {
  const svcPid = svc.child.pid!;
  const streamIds = Array.from({ length: n }, (_, i) => `ours${n}-r${i}`);
  const ids = await api.createRelays(n, (i) => sink.url(streamIds[i]));
  await api.waitRelaying(n);
  await sleep(SETTLE_MS);
  const cpu = await cpuPercent(() => [svcPid, ...childPids(svcPid)], MEASURE_MS);
  const mem = sumMemory([memory(svcPid), ...childPids(svcPid).map(memory)]);
  const live = await delivering(sink, streamIds);
  await api.deleteAll(ids);
  await waitFor(() => childPids(svcPid).length === 0, 15_000);
  return { cpu, mem, live };
}

async function measureBaseline(sink: Sink, source: string, n: number) {
  const streamIds = Array.from({ length: n }, (_, i) => `base${n}-b${i}`);
  const procs = streamIds.map((id) => sendLoop(source, sink.url(id)));
  await sleep(SETTLE_MS + 1_000);
  const pids = procs.map((p) => p.pid!);
  const cpu = await cpuPercent(() => pids, MEASURE_MS);
  const mem = sumMemory(pids.map(memory));
  const live = await delivering(sink, streamIds);
  await Promise.all(procs.map(stopProc));
  return { cpu, mem, live };
}

async function measureCost(svc: BenchService, api: RelayApi, sink: Sink, source: string): Promise<CostRow[]> {
  const pub = sendLoop(source, ingestUrl(svc, "show"));
  await sleep(SETTLE_MS);
  const svcPid = svc.child.pid!;
  const idleCpu = await cpuPercent(() => [svcPid], MEASURE_MS);
  const idleMem = memory(svcPid);
  const rows: CostRow[] = [];
  for (const n of COUNTS) {
    const ours = await measureOurs(svc, api, sink, n);
    const base = await measureBaseline(sink, source, n);
    rows.push({
      n,
      oursCpu: (ours.cpu - idleCpu) / n,
      baseCpu: base.cpu / n,
      ours: perRelay(ours.mem, n, idleMem),
      base: perRelay(base.mem, n),
      delivering: { ours: ours.live, base: base.live },
    });
    console.log(rows[rows.length - 1]);
  }
  await stopProc(pub);
  return rows;
}

/** Service CPU with one SRT publisher and no relays, minus the idle service, per Mbit/s received. */
async function measureIngest(svc: BenchService, api: RelayApi, source: string) {
  const svcPid = svc.child.pid!;
  const idle = await cpuPercent(() => [svcPid], MEASURE_MS);
  const pub = sendLoop(source, ingestUrl(svc, "ingest"));
  await sleep(SETTLE_MS);
  const busy = await cpuPercent(() => [svcPid], MEASURE_MS);
  const mbps = (await api.streamKbps("ingest")) / 1000;
  await stopProc(pub);
  return { idle, busy, mbps, perMbps: mbps > 0 ? (busy - idle) / mbps : NaN };
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");

function report(rows: CostRow[], ingest: Awaited<ReturnType<typeof measureIngest>>): string {
  return [
    "Command: `npm run bench:relay` (`bench/relay-srt.ts`). Source: 720p30 H.264 2.5 Mbit/s + AAC 128 kbit/s in MPEG-TS, 2 s GOP, looped with `-re`, published over SRT.",
    `Machine: ${machineLine()}. Run: ${new Date().toISOString()}. CPU averaged over ${MEASURE_MS / 1000} s per row.`,
    "",
    "Destinations: one in-process SRT listener (the project's `SrtServer`, one UDP port, relays told apart by streamid) that only counts bytes; ffmpeg listeners writing to /dev/null would cost about as much CPU as a relay, on the same cores.",
    "Per relay: ours = in-process SRT engine (the addon's caller thread + libsrt's threads, no worker processes): (service with N relays − service with none) / N; baseline = N plain `ffmpeg -re -stream_loop -1 -i source.ts -c copy -f mpegts srt://…` / N.",
    "",
    "| N | ours CPU % | baseline CPU % | ratio | ours RSS MB | ours PSS MB | ours private MB | baseline RSS MB | baseline PSS MB | baseline private MB | private ratio | delivering ours / baseline |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) =>
      `| ${r.n} | ${f2(r.oursCpu)} | ${f2(r.baseCpu)} | ${f2(r.oursCpu / r.baseCpu)} | ${f1(r.ours.rssMb)} | ${f1(r.ours.pssMb)} | ${f1(r.ours.privateMb)} | ${f1(r.base.rssMb)} | ${f1(r.base.pssMb)} | ${f1(r.base.privateMb)} | ${f2(r.ours.privateMb / r.base.privateMb)} | ${r.delivering.ours}/${r.n} · ${r.delivering.base}/${r.n} |`),
    "",
    "SRT ingest path (one publisher, no relays; libsrt's threads, the addon's I/O thread, the hub's MPEG-TS GOP cache):",
    "",
    "| received Mbit/s | service CPU % | idle CPU % | CPU % per Mbit/s |",
    "|---:|---:|---:|---:|",
    `| ${f2(ingest.mbps)} | ${f2(ingest.busy)} | ${f2(ingest.idle)} | ${f3(ingest.perMbps)} |`,
  ].join("\n");
}

async function main() {
  const source = benchSource({ container: "mpegts", videoKbps: 2500, cbr: true });
  const source5m = benchSource({ container: "mpegts", videoKbps: 4800, cbr: true }); // + audio and TS overhead ≈ 5 Mbit/s
  const sink = await startSink();
  const svc = await startBenchService(["--log-level", "warn", "--max-destinations-per-domain", "1000"]);
  const api = new RelayApi(svc);
  try {
    const ingest = await measureIngest(svc, api, source5m);
    console.log(ingest);
    const rows = await measureCost(svc, api, sink, source);
    const table = report(rows, ingest);
    console.log(table);
    replaceSection("relay-srt", table);
  } finally {
    await svc.stop();
    await sink.server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
