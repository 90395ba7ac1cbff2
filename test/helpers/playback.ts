// Helpers for playback tests: publishers of a few seconds of synthetic media, players
// (ffmpeg and GStreamer) that read a URL into a file, and checks of what they got.
import path from "node:path";
import { probeMediaFile, runProcess, startProcess, streamOfType, type ProcessResult, type RunningProcess } from "./media";
import { signAuthKey } from "../../relay-service/src/ingest/url-signing";

const SOURCE = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
/** 1 s GOPs: a player starts within a second, and HLS segments are ~1 s. */
const ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-c:a", "aac", "-b:a", "64k"];

/** ffmpeg publishing `seconds` of 320x240 30 fps H.264 + AAC in real time over RTMP. */
export function publishRtmp(rtmpPort: number, stream: string, domain: string, seconds = 20, query = ""): RunningProcess {
  const url = `rtmp://127.0.0.1:${rtmpPort}/live/${stream}?vhost=${domain}${query ? `&${query}` : ""}`;
  return startProcess("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", ...SOURCE, ...ENCODE, "-t", String(seconds), "-f", "flv", url]);
}

/** The same over SRT (MPEG-TS). */
export function publishSrt(srtPort: number, stream: string, domain: string, seconds = 20, query = ""): RunningProcess {
  const url = `srt://127.0.0.1:${srtPort}?streamid=#!::h=${domain},r=live/${stream}${query ? `?${query}` : ""},m=publish`;
  return startProcess("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", ...SOURCE, ...ENCODE, "-t", String(seconds), "-f", "mpegts", url]);
}

/** `auth_key=…` for reading live/{stream}, signed with a play key, valid for a minute. */
export function signedQuery(stream: string, playKey: string): string {
  return `auth_key=${signAuthKey({ appName: "live", streamName: stream, key: playKey, expiresAt: new Date(Date.now() + 60_000) })}`;
}

/** ffmpeg as a player: `seconds` of the stream copied into `file` (.mkv keeps every timestamp). */
export function ffmpegPlay(url: string, file: string, seconds = 3, headers?: string): Promise<ProcessResult> {
  const input = headers ? ["-headers", headers] : [];
  return runProcess("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "warning", "-y", ...input, "-i", url, "-t", String(seconds), "-c", "copy", file], 40_000);
}

/**
 * GStreamer as a player: `source` (an element string reading the stream) demuxed by `demux`,
 * its H.264 decoded (avdec_h264) and also muxed into `file` (MPEG-TS), for `seconds`, then
 * stopped with an EOS (SIGINT with -e).
 */
export async function gstPlay(source: string[], demux: string, file: string, seconds = 4): Promise<ProcessResult> {
  const pipeline = [
    ...source, "!", demux, "!", "h264parse", "!", "tee", "name=t",
    "t.", "!", "queue", "!", "avdec_h264", "!", "fakesink", "sync=false",
    "t.", "!", "queue", "!", "mpegtsmux", "!", "filesink", `location=${file}`,
  ];
  const proc = startProcess("gst-launch-1.0", ["-e", ...pipeline]);
  const stop = setTimeout(() => proc.child.kill("SIGINT"), seconds * 1000);
  const hardStop = setTimeout(() => proc.child.kill("SIGKILL"), seconds * 1000 + 4_000); // some sources (souphttpsrc, live) never pass the EOS on: the MPEG-TS file needs no finishing
  try {
    return await proc.exited;
  } finally {
    clearTimeout(stop);
    clearTimeout(hardStop);
  }
}

export interface PlayedMedia {
  videoCodec: string | undefined;
  videoFrames: number;
  audioFrames: number;
  /** No stream's decode timestamp ever goes back. */
  monotonic: boolean;
  /** Every stream's decode timestamps strictly increase (no two frames at one instant). */
  strictlyIncreasing: boolean;
}

/** What a player wrote: frames decoded by ffprobe, and whether timestamps only go forward. */
export async function playedMedia(file: string): Promise<PlayedMedia> {
  const probe = await probeMediaFile(file);
  const packets = await runProcess("ffprobe", ["-v", "error", "-show_entries", "packet=stream_index,dts_time", "-of", "csv=p=0", file]);
  const last = new Map<string, number>();
  let monotonic = true;
  let strictlyIncreasing = true;
  for (const line of packets.stdout.trim().split("\n")) {
    const [index, dts] = line.split(",");
    if (!dts || dts === "N/A") continue;
    const t = Number(dts);
    const before = last.get(index);
    if (before !== undefined && t < before) monotonic = false;
    if (before !== undefined && t <= before) strictlyIncreasing = false;
    last.set(index, t);
  }
  const video = streamOfType(probe, "video");
  return {
    videoCodec: video?.codec_name,
    videoFrames: Number(video?.nb_read_frames ?? 0),
    audioFrames: Number(streamOfType(probe, "audio")?.nb_read_frames ?? 0),
    monotonic,
    strictlyIncreasing,
  };
}

export const playerFile = (dir: string, name: string) => path.join(dir, name);
