import { destinationScheme, parseSrtDestination, type DestinationScheme } from "@liverelay/api";
import type { Container, IngestProtocol } from "../hub/live-stream";

/** RTMP ingest relays to rtmp/rtmps; SRT ingest relays to srt (unless the template converts). */
export function protocolMatches(ingest: IngestProtocol, destinationUrl: string): boolean {
  const scheme: DestinationScheme = destinationScheme(destinationUrl);
  return ingest === "srt" ? scheme === "srt" : scheme === "rtmp" || scheme === "rtmps";
}

/** The container a destination's engine sends: FLV for rtmp:// and rtmps://, MPEG-TS for srt://. */
export function destinationContainer(destinationUrl: string): Container {
  return destinationScheme(destinationUrl) === "srt" ? "mpegts" : "flv";
}

/**
 * The ffmpeg output for a destination. SRT: the API takes `latency` in milliseconds
 * (like srt-live-transmit and most encoders; see parseSrtDestination) while ffmpeg wants microseconds.
 */
export function ffmpegOutput(destinationUrl: string): { format: "flv" | "mpegts"; url: string } {
  if (destinationScheme(destinationUrl) !== "srt") return { format: "flv", url: destinationUrl };
  // Edit the query as text: re-encoding it would change the streamid ffmpeg sends.
  const parsed = parseSrtDestination(destinationUrl);
  const latencyMs = parsed.ok ? parsed.value.latencyMs : undefined;
  let url = destinationUrl.replace(/([?&]latency=)(\d+)(?=&|$)/, (_m, key: string, raw: string) => `${key}${(latencyMs ?? Number(raw)) * 1000}`);
  if (!/[?&]mode=/.test(url)) url += `${url.includes("?") ? "&" : "?"}mode=caller`;
  return { format: "mpegts", url };
}
