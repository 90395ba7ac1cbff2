import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { apiClient, type ServiceHandle } from "../../helpers/service";
import { waitFor } from "../../helpers/relay";

export const DOMAIN = "media.example.com";

/** The API of one test service, with the calls these tests repeat. */
export function mediaApi(svc: ServiceHandle) {
  const call = apiClient(svc);
  const d = `/v1/domains/${DOMAIN}`;
  return {
    call,
    putTemplate: (id: string, body: Record<string, unknown>) => call("PUT", `${d}/transcode-templates/${id}`, body),
    setSnapshots: (app: string, body: Record<string, unknown>) => call("PUT", `${d}/apps/${app}/snapshot-config`, body),
    setRecording: (app: string, body: Record<string, unknown>) => call("PUT", `${d}/apps/${app}/recording-config`, body),
    streams: async (): Promise<{ streamName: string; height: number | null; protocol: string; bitrateKbps: number; startedAt: string }[]> => (await call("GET", `${d}/streams`)).body.items,
    recordings: async (query = ""): Promise<Recording[]> => (await call("GET", `${d}/recordings${query}`)).body.items,
    relayTo: async (streamName: string, destinationUrl: string) => {
      const res = await call("POST", `${d}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always" });
      if (res.status !== 201) throw new Error(`relay template: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    relayStatus: async (id: string) => (await call("GET", `${d}/relay-templates/${id}/status`)).body as { state: string; restarts: number },
    /** The media workers of one stream, by kind (one transcoder template at most in these tests). */
    processing: async (app: string, stream: string): Promise<Partial<Record<string, Worker>>> => {
      const items = (await call("GET", `${d}/streams/${app}/${stream}/processing`)).body.items as Worker[];
      return Object.fromEntries(items.map((w) => [w.kind, w]));
    },
    /** Raw GET (binary bodies, extra headers). */
    fetch: (path: string, headers: Record<string, string> = {}) => fetch(svc.url + d + path, { headers: { authorization: `Bearer ${svc.token}`, ...headers } }),
  };
}

export interface Worker {
  kind: string;
  id: string;
  templateId?: string;
  state: string;
  lastError?: { code: string; message: string; at: string };
  restarts: number;
  since: string;
  stats: Record<string, any>;
}

export interface Recording {
  id: string;
  streamName: string;
  format: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  bytes: number;
}

export const waitLive = (api: ReturnType<typeof mediaApi>, streamName: string, timeoutMs = 20_000) =>
  waitFor(`${streamName} live`, async () => (await api.streams()).find((s) => s.streamName === streamName), timeoutMs);

/** Pids of the service's direct children whose command line contains `needle` (its ffmpeg workers). */
export function workerPids(svc: ServiceHandle, needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (ppid === svc.process.pid && cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** ffprobe's view of a file's first stream of a kind: codec and size. */
export function probeStream(file: string, kind: "v" | "a" = "v"): { codec_name: string; width?: number; height?: number } {
  const res = spawnSync("ffprobe", ["-v", "error", "-select_streams", `${kind}:0`, "-show_entries", "stream=codec_name,width,height", "-of", "json", file], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`ffprobe failed: ${res.stderr}`);
  return (JSON.parse(res.stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams[0];
}

/** Decodes the whole file; returns ffmpeg's error output ("" = clean). */
export function decodeErrors(file: string): string {
  const res = spawnSync("ffmpeg", ["-v", "error", "-nostdin", "-i", file, "-f", "null", "-"], { encoding: "utf8" });
  return res.status === 0 ? res.stderr.trim() : `exit ${res.status}: ${res.stderr}`;
}
