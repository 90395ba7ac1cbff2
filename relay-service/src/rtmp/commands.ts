// Decoding of client commands (AMF0 command messages) and construction of the
// server's replies: _result, _error and onStatus.
import { Amf0Object, Amf0Value, decodeAmf0, encodeAmf0 } from "../media/amf0";
import { ChunkStreamId, MessageType, RtmpMessage, RtmpProtocolError } from "./protocol";

export interface Command {
  name: string;
  transactionId: number;
  /** The command object (connect's properties; null for most others). */
  object: Amf0Value;
  /** Everything after the command object, e.g. publish's name and type. */
  args: Amf0Value[];
  /** Message stream the command arrived on (publish/closeStream are NetStream commands). */
  streamId: number;
}

export function decodeCommand(message: RtmpMessage): Command {
  // An AMF3 command message starts with one format byte, then AMF0 values
  // (clients only switch to AMF3 inside values via the avmplus marker, which
  // publishers do not use).
  const body = message.type === MessageType.CommandAmf3 ? message.payload.subarray(1) : message.payload;
  const [name, transactionId, object = null, ...args] = decodeAmf0(body);
  if (typeof name !== "string") throw new RtmpProtocolError("command name is not a string");
  return {
    name,
    transactionId: typeof transactionId === "number" ? transactionId : 0,
    object,
    args,
    streamId: message.streamId,
  };
}

function commandMessage(streamId: number, ...values: Amf0Value[]): RtmpMessage {
  return {
    chunkStreamId: streamId === 0 ? ChunkStreamId.Command : ChunkStreamId.StreamStatus,
    type: MessageType.CommandAmf0,
    streamId,
    timestamp: 0,
    payload: encodeAmf0(...values),
  };
}

export function resultMessage(transactionId: number, properties: Amf0Value, info: Amf0Value): RtmpMessage {
  return commandMessage(0, "_result", transactionId, properties, info);
}

export function errorMessage(transactionId: number, info: Amf0Object): RtmpMessage {
  return commandMessage(0, "_error", transactionId, null, info);
}

export function connectResultMessage(transactionId: number, fourCcList?: Amf0Value): RtmpMessage {
  const properties: Amf0Object = { fmsVer: "FMS/3,5,7,7009", capabilities: 31, mode: 1 };
  // Enhanced RTMP: echoing the client's codec list tells it we accept those
  // FourCCs. We can, because we never look inside codec payloads.
  if (Array.isArray(fourCcList)) properties.fourCcList = fourCcList;
  return resultMessage(transactionId, properties, {
    level: "status",
    code: "NetConnection.Connect.Success",
    description: "Connection succeeded.",
    objectEncoding: 0,
  });
}

export interface Status {
  level: "status" | "error" | "warning";
  code: string;
  description: string;
}

export function onStatusMessage(streamId: number, status: Status, details?: string): RtmpMessage {
  const info: Amf0Object = { level: status.level, code: status.code, description: status.description };
  if (details !== undefined) info.details = details;
  return commandMessage(streamId, "onStatus", 0, null, info);
}
