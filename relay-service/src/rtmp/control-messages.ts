// Protocol control (types 1, 3, 5, 6) and user control (type 4) messages the
// server sends, plus parsing of the user control events it answers.
import { ChunkStreamId, MessageType, RtmpMessage, UserControlEvent } from "./protocol";

function control(type: number, payload: Buffer): RtmpMessage {
  // Protocol control messages always travel on chunk stream 2, message stream 0.
  return { chunkStreamId: ChunkStreamId.ProtocolControl, type, streamId: 0, timestamp: 0, payload };
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

export function setChunkSizeMessage(size: number): RtmpMessage {
  return control(MessageType.SetChunkSize, u32(size & 0x7fffffff));
}

export function windowAckSizeMessage(size: number): RtmpMessage {
  return control(MessageType.WindowAckSize, u32(size));
}

/** limitType 2 = dynamic: the classic value servers send right after connect. */
export function setPeerBandwidthMessage(size: number, limitType = 2): RtmpMessage {
  return control(MessageType.SetPeerBandwidth, Buffer.concat([u32(size), Buffer.of(limitType)]));
}

export function acknowledgementMessage(totalBytesReceived: number): RtmpMessage {
  return control(MessageType.Acknowledgement, u32(totalBytesReceived));
}

function userControl(event: number, data: Buffer): RtmpMessage {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(event);
  return control(MessageType.UserControl, Buffer.concat([head, data]));
}

export function streamBeginMessage(streamId: number): RtmpMessage {
  return userControl(UserControlEvent.StreamBegin, u32(streamId));
}

export function pingResponseMessage(timestamp: number): RtmpMessage {
  return userControl(UserControlEvent.PingResponse, u32(timestamp));
}

export interface UserControl {
  event: number;
  /** First 4-byte argument (stream id or ping timestamp); 0 if absent. */
  value: number;
}

export function parseUserControl(payload: Buffer): UserControl | null {
  if (payload.length < 2) return null;
  const value = payload.length >= 6 ? payload.readUInt32BE(2) : 0;
  return { event: payload.readUInt16BE(0), value };
}

/** Payload of Window Acknowledgement Size / Set Peer Bandwidth: the window in bytes. */
export function parseWindowSize(payload: Buffer): number | null {
  return payload.length >= 4 ? payload.readUInt32BE(0) : null;
}
