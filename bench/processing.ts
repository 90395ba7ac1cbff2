/**
 * node bench/dist/processing.js (part of `npm run bench:relay`) — CPU of media processing,
 * against plain ffmpeg doing the same job from the same source file in the same run.
 *
 * Source: the relay bench's 720p30 H.264 2.5 Mbit/s + AAC file, published in a loop with
 * `ffmpeg -re -c copy`. For each job (a 720p → 360p rendition, a JPEG every second, an mp4
 * recording): ours = CPU of the service and its workers with the job configured − the service
 * with the same publisher and no job; baseline = one `ffmpeg -re -stream_loop -1 -i source …`
 * with the worker's own encoding arguments (from the service's argument builders).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { transcodeArgs } from "@liverelay/service/dist/processing/transcoder";
import { snapshotArgs } from "@liverelay/service/dist/processing/snapshotter";
import { recordArgs } from "@liverelay/service/dist/processing/recorder";
import { machineLine, startBenchService, type BenchService } from "./service-process";
import { childPids, cpuPercent } from "./proc-stats";
import { replaceSection } from "./report";
import { benchSource } from "./source";

const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const WARM_UP_MS = 4_000;
const DOMAIN = "bench.example.com";
const SD = { codec: "h264" as const, height: 360, bitrateKbps: 800, fps: null, gopSeconds: 2 };
const AUDIO = { codec: "aac" as const, bitrateKbps: 96 };


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ffmpeg = (args: string[]): ChildProcess => spawn("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args], { stdio: "ignore" });
const stopProc = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once("exit", () => r()), p.kill("SIGTERM"))));

/** A worker's arguments with the hub's pipe replaced by the looping source file (probing options dropped). */
function fromFile(workerArgs: string[], source: string): string[] {
  const input = workerArgs.indexOf("pipe:0");
  const output = workerArgs.slice(input + 1).map((a) => (a === "pipe:1" ? "/dev/null" : a));
  return ["-re", "-stream_loop", "-1", "-i", source, ...output];
}

interface Job {
  name: string;
  configure(call: Call): Promise<void>;
  remove(call: Call): Promise<void>;
  baseline(source: string, dir: string): string[];
}

type Call = (method: string, p: string, body?: unknown) => Promise<void>;

const JOBS: Job[] = [
  {
    name: "720p → 360p rendition (libx264 veryfast, 800 kbit/s + AAC 96 kbit/s)",
    configure: (call) => call("PUT", `/v1/domains/${DOMAIN}/transcode-templates/sd`, { appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800 }, audio: AUDIO }),
    remove: (call) => call("DELETE", `/v1/domains/${DOMAIN}/transcode-templates/sd`),
    baseline: (source) => fromFile(transcodeArgs({ video: SD, audio: AUDIO }, "flv"), source),
  },
  {
    name: "snapshot every 1 s (JPEG)",
    configure: (call) => call("PUT", `/v1/domains/${DOMAIN}/apps/live/snapshot-config`, { intervalSeconds: 1 }),
    remove: (call) => call("DELETE", `/v1/domains/${DOMAIN}/apps/live/snapshot-config`),
    baseline: (source, dir) => fromFile(snapshotArgs({ intervalSeconds: 1 }, "flv", path.join(dir, "base-%06d.jpg")), source),
  },
  {
    name: "recording (fragmented mp4, 60 s segments)",
    configure: (call) => call("PUT", `/v1/domains/${DOMAIN}/apps/live/recording-config`, { format: "mp4", segmentSeconds: 60 }),
    remove: (call) => call("DELETE", `/v1/domains/${DOMAIN}/apps/live/recording-config`),
    baseline: (source, dir) => fromFile(recordArgs({ format: "mp4", segmentSeconds: 60 }, "flv", path.join(dir, "base-%05d.mp4")), source),
  },
];

function apiCall(svc: BenchService): Call {
  return async (method, p, body) => {
    const res = await fetch(svc.url + p, {
      method,
      headers: { authorization: `Bearer ${svc.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  };
}

async function waitFor(cond: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(100);
}

interface Row {
  name: string;
  idle: number;
  ours: number;
  base: number;
}

/** The service's own CPU is measured again before each job: the publisher's share drifts over a run. */
async function measureJob(job: Job, svc: BenchService, call: Call, source: string, dir: string): Promise<Row> {
  const svcPid = svc.child.pid!;
  const idle = await cpuPercent(() => [svcPid], MEASURE_MS);
  await job.configure(call);
  await waitFor(() => childPids(svcPid).length > 0, 15_000);
  await sleep(WARM_UP_MS);
  const ours = (await cpuPercent(() => [svcPid, ...childPids(svcPid)], MEASURE_MS)) - idle;
  await job.remove(call);
  await waitFor(() => childPids(svcPid).length === 0, 15_000);

  const plain = ffmpeg(job.baseline(source, dir));
  await sleep(WARM_UP_MS);
  const base = await cpuPercent(() => [plain.pid!], MEASURE_MS);
  await stopProc(plain);
  const row = { name: job.name, idle, ours, base };
  console.log(row);
  return row;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");

async function main() {
  const source = benchSource({ container: "flv" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-bench-processing-"));
  const svc = await startBenchService(["--log-level", "warn"]);
  const call = apiCall(svc);
  const pub = ffmpeg(["-re", "-stream_loop", "-1", "-i", source, "-map", "0", "-c", "copy", "-f", "flv", `rtmp://127.0.0.1:${svc.rtmpPort}/live/show?vhost=${DOMAIN}`]);
  try {
    await sleep(WARM_UP_MS);
    const rows: Row[] = [];
    for (const job of JOBS) rows.push(await measureJob(job, svc, call, source, dir));
    const table = [
      "Command: `npm run bench:relay` (its last step, `node bench/dist/processing.js`). Source: 720p30 H.264 2.5 Mbit/s + AAC 128 kbit/s, 2 s GOP, looped with `-re`.",
      `Machine: ${machineLine()}. Run: ${new Date().toISOString()}. CPU averaged over ${MEASURE_MS / 1000} s per row, after ${WARM_UP_MS / 1000} s of warm-up.`,
      "",
      "Ours = service + its workers with the job configured − the service alone with the same publisher, measured just before; baseline = one plain ffmpeg with the worker's arguments reading the source file.",
      "",
      "| job | service alone CPU % | ours CPU % | baseline CPU % | ratio |",
      "|---|---:|---:|---:|---:|",
      ...rows.map((r) => `| ${r.name} | ${f1(r.idle)} | ${f1(r.ours)} | ${f1(r.base)} | ${f2(r.ours / r.base)} |`),
    ].join("\n");
    console.log(table);
    replaceSection("processing", table);
  } finally {
    await stopProc(pub);
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
