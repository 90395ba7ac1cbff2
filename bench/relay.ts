/**
 * npm run bench:relay (first part) — N copy relays of one stream, three ways in one run, into one
 * nginx-rtmp sink that counts what each stream receives (its /stat page):
 *   ours      the service's in-process RTMP push (the default engine), N relay templates;
 *   ffmpeg    N plain `ffmpeg -re -stream_loop -1 -i source -c copy -f flv <sink>` processes;
 *   nginx     one nginx-rtmp with N `push` lines, fed the same source once.
 * Source: a pre-encoded 720p30 H.264 2.5 Mbit/s + AAC file, published with `-re -stream_loop -1`.
 * For ours also: event-loop delay p99 (the service's own monitorEventLoopDelay, /metrics), GET
 * relays p99 while it runs, relay start (create → first bytes at the sink) and recovery after a
 * 20 s outage of the destination.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { machineLine, startBenchService, type BenchService } from "./service-process";
import { cpuPercent, memory, percentile, sumMemory } from "./proc-stats";
import { replaceSection } from "./report";
import { benchSource } from "./source";
import { BENCH_DOMAIN, RelayApi } from "./relay-api";
import { startNginxRtmp, type NginxRtmp } from "./nginx-rtmp";

const COUNTS = (process.env.BENCH_RELAY_COUNTS ?? "1,50,200").split(",").map(Number);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 15_000);
const OUTAGE_MS = 20_000;
/** Video 2,500 + audio 128 kbit/s. */
const SOURCE_KBPS = 2_628;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ffmpeg = (args: string[]): ChildProcess => spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", ...args], { stdio: "ignore" });
const publish = (source: string, url: string) => ffmpeg(["-re", "-stream_loop", "-1", "-i", source, "-map", "0", "-c", "copy", "-f", "flv", url]);
const stopProc = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : (p.once("exit", () => r()), p.kill("SIGKILL"))));

interface Row {
  engine: "ours" | "ffmpeg" | "nginx push";
  n: number;
  cpuTotal: number;
  pssMb: number;
  /** Streams at the sink receiving ≥ 90 % of the source bitrate over the window. */
  delivered: number;
  medianKbps: number;
  loopP99Ms?: number;
  getRelaysP99Ms?: number;
  startP95Ms?: number;
}

/** Received kbit/s per stream of `prefix`, from bytes_in over the window. */
async function deliveredRates(sink: NginxRtmp, prefix: string, ms: number): Promise<number[]> {
  const before = await sink.streams();
  const t0 = performance.now();
  await sleep(ms);
  const after = await sink.streams();
  const seconds = (performance.now() - t0) / 1000;
  const rates: number[] = [];
  for (const [name, s] of after) {
    if (!name.startsWith(prefix)) continue;
    rates.push(((s.bytesIn - (before.get(name)?.bytesIn ?? 0)) * 8) / seconds / 1000);
  }
  return rates;
}

const summarize = (rates: number[]) => ({ delivered: rates.filter((k) => k >= 0.9 * SOURCE_KBPS).length, medianKbps: percentile(rates, 50) });

async function eventLoopP99Ms(svc: BenchService): Promise<number> {
  const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${svc.token}` } });
  const m = /^liverelay_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(await res.text());
  return m ? Number(m[1]) * 1000 : NaN;
}

/** GET …/relays back to back (10 a second) for `ms`; the latencies. */
async function pollRelays(api: RelayApi, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t0 = performance.now();
    await api.call("GET", `/v1/domains/${BENCH_DOMAIN}/relays`);
    out.push(performance.now() - t0);
    await sleep(100);
  }
  return out;
}

/** Create → first bytes at the sink, per relay (polling /stat every 100 ms while creating and after). */
async function createAndTimeStarts(api: RelayApi, sink: NginxRtmp, n: number, prefix: string): Promise<{ ids: string[]; starts: number[] }> {
  const pending = new Map<string, number>();
  const starts: number[] = [];
  let creating = true;
  const watch = async () => {
    const deadline = Date.now() + 120_000;
    while ((creating || pending.size > 0) && Date.now() < deadline) {
      const streams = await sink.streams();
      const now = performance.now();
      for (const [name, at] of pending) {
        if ((streams.get(name)?.bytesIn ?? 0) === 0) continue;
        starts.push(now - at);
        pending.delete(name);
      }
      await sleep(100);
    }
  };
  const watcher = watch();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    pending.set(`${prefix}${i}`, performance.now());
    ids.push(...(await api.createRelays(1, () => `${sink.rtmpUrl}/sink/${prefix}${i}`)));
  }
  creating = false;
  await watcher;
  return { ids, starts };
}

async function runOurs(svc: BenchService, api: RelayApi, sink: NginxRtmp, n: number, idleCpu: number, idlePss: number): Promise<Row> {
  const prefix = `ours${n}_`;
  const { ids, starts } = await createAndTimeStarts(api, sink, n, prefix);
  await api.waitRelaying(n, 120_000).catch((err: Error) => console.log(err.message));
  await sleep(3_000);
  await eventLoopP99Ms(svc); // resets the histogram: the next read covers the window
  const pid = svc.child.pid!;
  const [cpu, rates, gets] = await Promise.all([cpuPercent(() => [pid], MEASURE_MS), deliveredRates(sink, prefix, MEASURE_MS), pollRelays(api, MEASURE_MS)]);
  const loopP99Ms = await eventLoopP99Ms(svc);
  const pss = memory(pid).pssMb;
  await api.deleteAll(ids);
  return { engine: "ours", n, cpuTotal: cpu - idleCpu, pssMb: pss - idlePss, ...summarize(rates), loopP99Ms, getRelaysP99Ms: percentile(gets, 99), startP95Ms: percentile(starts, 95) };
}

async function runFfmpeg(source: string, sink: NginxRtmp, n: number): Promise<Row> {
  const prefix = `ffmpeg${n}_`;
  const procs = Array.from({ length: n }, (_, i) => publish(source, `${sink.rtmpUrl}/sink/${prefix}${i}`));
  await sleep(5_000);
  const pids = procs.map((p) => p.pid!).filter(Boolean);
  const [cpu, rates] = await Promise.all([cpuPercent(() => pids, MEASURE_MS), deliveredRates(sink, prefix, MEASURE_MS)]);
  const pss = sumMemory(pids.map(memory)).pssMb;
  await Promise.all(procs.map(stopProc));
  return { engine: "ffmpeg", n, cpuTotal: cpu, pssMb: pss, ...summarize(rates) };
}

async function runNginxPush(source: string, sink: NginxRtmp, n: number): Promise<Row> {
  const prefix = `push${n}_`;
  const pushes = Array.from({ length: n }, (_, i) => `push ${sink.rtmpUrl}/sink/${prefix}${i};`);
  const pusher = await startNginxRtmp({ record: false, applications: { live: pushes } });
  const pub = publish(source, `${pusher.rtmpUrl}/live/show`);
  await sleep(5_000);
  const [cpu, rates] = await Promise.all([cpuPercent(() => [pusher.pid], MEASURE_MS), deliveredRates(sink, prefix, MEASURE_MS)]);
  const pss = memory(pusher.pid).pssMb;
  await stopProc(pub);
  await pusher.stop();
  return { engine: "nginx push", n, cpuTotal: cpu, pssMb: pss, ...summarize(rates) };
}

/** One relay to its own sink; the sink goes away for 20 s; time from its return to bytes arriving. */
async function measureRecovery(api: RelayApi): Promise<number> {
  const sink = await startNginxRtmp({ record: false });
  const ids = await api.createRelays(1, () => `${sink.rtmpUrl}/sink/recovery`);
  await api.waitRelaying(1);
  await sleep(3_000);
  await sink.stop();
  await sleep(OUTAGE_MS);
  const back = await startNginxRtmp({ record: false, rtmpPort: sink.rtmpPort });
  const t0 = performance.now();
  let ms = NaN;
  while (performance.now() - t0 < 60_000) {
    if (((await back.streams()).get("recovery")?.bytesIn ?? 0) > 0) {
      ms = performance.now() - t0;
      break;
    }
    await sleep(50);
  }
  await api.deleteAll(ids);
  await back.stop();
  return ms;
}

const f0 = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(0) : "–");
const f1 = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(2) : "–");

async function main() {
  const source = benchSource({ container: "flv" });
  const sink = await startNginxRtmp({ record: false });
  const svc = await startBenchService(["--log-level", "warn", "--max-destinations-per-domain", "1000"]);
  const api = new RelayApi(svc);
  const rows: Row[] = [];
  let recoveryMs = NaN;
  try {
    const pub = publish(source, `rtmp://127.0.0.1:${svc.rtmpPort}/live/show?vhost=${BENCH_DOMAIN}`);
    await sleep(4_000);
    const idleCpu = await cpuPercent(() => [svc.child.pid!], 5_000);
    const idlePss = memory(svc.child.pid!).pssMb;
    for (const n of COUNTS) {
      rows.push(await runOurs(svc, api, sink, n, idleCpu, idlePss));
      console.log(rows.at(-1));
      await sleep(3_000);
      rows.push(await runFfmpeg(source, sink, n));
      console.log(rows.at(-1));
      rows.push(await runNginxPush(source, sink, n));
      console.log(rows.at(-1));
    }
    recoveryMs = await measureRecovery(api);
    console.log({ recoveryMs });
    await stopProc(pub);
  } finally {
    await svc.stop();
    await sink.stop();
  }
  const table = [
    "Command: `npm run bench:relay`. Source: 720p30 H.264 2.5 Mbit/s + AAC 128 kbit/s, 2 s GOP, looped with `-re`; sink: one nginx-rtmp, bytes received per stream from its /stat page.",
    `Machine: ${machineLine()}. Run: ${new Date().toISOString()}. Rates and CPU over ${MEASURE_MS / 1000} s per row. Single runs: treat CPU as ±30 %.`,
    "",
    "CPU is % of one core for all N relays together (ours: the service minus the same service idle with the source live); delivered = streams arriving at ≥ 90 % of the source bitrate.",
    "",
    "| engine | N | CPU % total | CPU % per relay | PSS MB total | delivered | median kbit/s at sink | event-loop p99 ms | GET relays p99 ms | start p95 ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.engine} | ${r.n} | ${f1(r.cpuTotal)} | ${f2(r.cpuTotal / r.n)} | ${f1(r.pssMb)} | ${r.delivered}/${r.n} | ${f0(r.medianKbps)} | ${f1(r.loopP99Ms)} | ${f1(r.getRelaysP99Ms)} | ${f0(r.startP95Ms)} |`),
    "",
    `Recovery (ours): a destination back after a ${OUTAGE_MS / 1000} s outage received media again after ${f0(recoveryMs)} ms (retries every 1–2 s for the first 5 minutes).`,
  ].join("\n");
  console.log(table);
  replaceSection("relay", table);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
