import { z } from "zod";
import { parseSrtDestination } from "./srt-destination";

export const DESTINATION_SCHEMES = ["rtmp", "rtmps", "srt"] as const;
export type DestinationScheme = (typeof DESTINATION_SCHEMES)[number];

/** Returns why a destination URL is unusable, or null when it is fine. Never echoes the URL (it holds a stream key). */
export function destinationUrlProblem(raw: string): string | null {
  if (raw.length > 2048) return "destinationUrl must be at most 2048 characters";
  if (/\s/.test(raw)) return "destinationUrl must not contain whitespace";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "destinationUrl must be a complete URL such as rtmp://host/app/streamKey";
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (!(DESTINATION_SCHEMES as readonly string[]).includes(scheme)) {
    return "destinationUrl scheme must be rtmp, rtmps or srt";
  }
  if (!url.hostname) return "destinationUrl must name a host";
  if (url.username || url.password) return "destinationUrl must not carry user:password credentials";
  if (scheme === "srt") {
    const srt = parseSrtDestination(raw);
    return srt.ok ? null : srt.problem;
  }
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  if (segments.length < 2) return "an rtmp destinationUrl needs an app and a stream key (rtmp://host/app/streamKey)";
  return null;
}

export const DestinationUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = destinationUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: "Complete ingest URL of the destination: rtmp://, rtmps:// (host/app/streamKey) or srt://host:port?streamid=…",
    example: "rtmp://a.rtmp.youtube.com/live2/STREAM-KEY",
  });

export function destinationScheme(url: string): DestinationScheme {
  return new URL(url).protocol.replace(/:$/, "") as DestinationScheme;
}
