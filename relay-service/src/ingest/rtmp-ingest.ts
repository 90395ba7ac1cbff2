import type { Logger } from "pino";
import { RtmpServer, type RtmpPlayDecision, type RtmpPublishDecision, type RtmpPublishRequest, type RtmpServerOptions } from "../rtmp";
import type { StreamHub } from "../hub/stream-hub";
import type { PublishGate } from "./publish-gate";
import { tcUrlHost } from "./stream-identity";

/** The RTMP server feeding the hub through the publish gate (and serving players through `onPlay`). */
export type RtmpIngestLimits = Pick<RtmpServerOptions, "maxConnections" | "maxBufferedBytes" | "maxMessageBytes" | "onRefused">;

export function createRtmpIngest(deps: { host: string; port: number; gate: PublishGate; hub: StreamHub; logger: Logger; limits?: RtmpIngestLimits; onPlay?: (req: RtmpPublishRequest) => RtmpPlayDecision }): RtmpServer {
  return new RtmpServer({
    host: deps.host,
    port: deps.port,
    logger: deps.logger,
    ...deps.limits,
    onPlay: deps.onPlay,
    onPublish(req: RtmpPublishRequest): RtmpPublishDecision {
      const target = { app: req.app, streamName: req.streamName, query: req.query, host: tcUrlHost(req.tcUrl) };
      const decision = deps.gate.admitRtmp(target, req.remoteAddress);
      if (!decision.accept) return decision;
      const stream = decision.claim;
      return {
        accept: true,
        sink: {
          onStart: (hangUp) => stream.setPublisherHangUp(hangUp),
          onTag: (type, timestamp, payload) => stream.pushFlvTag(type, timestamp, payload),
          onEnd: (reason) => {
            deps.logger.info({ domain: stream.key.domain, appName: stream.key.appName, streamName: stream.key.streamName, reason }, "publish ended");
            deps.hub.unpublish(stream);
          },
        },
      };
    },
  });
}
