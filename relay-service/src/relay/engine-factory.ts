import type tls from "node:tls";
import { destinationScheme } from "@liverelay/api";
import { FfmpegRelay } from "./ffmpeg-relay";
import type { RelayEngineFactory } from "./relay-engine";
import { RtmpPushRelay } from "./rtmp-push-relay";
import { SrtRelay } from "./srt-relay";

export type RelayEngineKind = "in-process" | "ffmpeg";

/**
 * In-process by default: rtmp:// and rtmps:// get the RTMP push, srt:// the SRT caller. With
 * `--relay-engine ffmpeg` every relay is one ffmpeg process, as before.
 */
export function createRelayEngineFactory(opts: { engine: RelayEngineKind; tlsTrust: tls.SecureContext }): RelayEngineFactory {
  return (relay) => {
    const scheme = destinationScheme(relay.destinationUrl);
    if (opts.engine === "ffmpeg") return new FfmpegRelay(relay);
    return scheme === "srt" ? new SrtRelay(relay) : new RtmpPushRelay(relay, { tlsTrust: opts.tlsTrust });
  };
}
