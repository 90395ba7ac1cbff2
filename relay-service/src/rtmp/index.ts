export {
  RtmpServer,
  type RtmpServerOptions,
  type RtmpPublishRequest,
  type RtmpPublishSink,
  type RtmpPublishDecision,
} from "./server";
export { decodeAmf0, encodeAmf0, ecmaArray, isEcmaArray, Amf0Reader, Amf0Error, type Amf0Value, type Amf0Object } from "./amf0";
export { ChunkReader, type ChunkReaderLimits } from "./chunk-reader";
export { ChunkWriter } from "./chunk-writer";
export { ServerHandshake } from "./handshake";
export { MessageType, RtmpProtocolError, type RtmpMessage } from "./protocol";
