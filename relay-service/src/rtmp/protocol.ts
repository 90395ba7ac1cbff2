// Numbers from the RTMP specification (Adobe, 2012) shared by the modules here.

/** RTMP message type ids. */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  CommandAmf3: 17,
  DataAmf0: 18,
  CommandAmf0: 20,
} as const;

/** User control (type 4) event types we send or answer. */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  SetBufferLength: 3,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/**
 * Chunk stream ids the server writes on. Protocol control must use 2; the
 * others follow the convention of Adobe's and ffmpeg's servers.
 */
export const ChunkStreamId = {
  ProtocolControl: 2,
  Command: 3,
  StreamStatus: 5,
} as const;

/** One complete RTMP message, reassembled from its chunks. */
export interface RtmpMessage {
  chunkStreamId: number;
  type: number;
  /** Message stream id (0 = NetConnection, others = NetStreams from createStream). */
  streamId: number;
  /** Milliseconds, 32-bit wrapping, as the client sent it. */
  timestamp: number;
  payload: Buffer;
}

/** Raised for anything a well-behaved client never sends; the session disconnects. */
export class RtmpProtocolError extends Error {
  override name = "RtmpProtocolError";
}

/** Why a connection passed a resource limit (the label of the refusal metric). */
export type RtmpLimitReason = "message-too-large" | "buffer-limit";

/** The peer made us hold more than a limit allows; the connection is closed. */
export class RtmpLimitError extends RtmpProtocolError {
  override name = "RtmpLimitError";
  constructor(readonly reason: RtmpLimitReason, message: string) {
    super(message);
  }
}

export const DEFAULT_CHUNK_SIZE = 128;
