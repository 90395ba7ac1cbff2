export {
  RtmpServer,
  type RtmpServerOptions,
  type RtmpPublishRequest,
  type RtmpPublishSink,
  type RtmpPublishDecision,
  type RtmpPlayDecision,
  type RtmpPlayer,
  type RtmpRefusalReason,
  DEFAULT_RTMP_LIMITS,
} from "./server";
export { ChunkReader, type ChunkReaderLimits } from "./chunk-reader";
export { ChunkWriter } from "./chunk-writer";
export { ServerHandshake } from "./handshake";
export { MessageType, RtmpProtocolError, type RtmpMessage } from "./protocol";
