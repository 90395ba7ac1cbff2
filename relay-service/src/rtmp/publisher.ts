// The RTMP/RTMPS publisher client: what an encoder does towards an ingest
// server, for the in-process relay engine.
//
//   TCP (or TLS) → handshake → Set Chunk Size → connect → releaseStream,
//   FCPublish, createStream → publish → onStatus NetStream.Publish.Start →
//   @setDataFrame onMetaData, sequence headers, media … → FCUnpublish,
//   deleteStream on a clean stop.
//
// The FMLE command order is what YouTube, Twitch and Facebook ingest (and
// nginx-rtmp, ffmpeg -listen) expect from OBS and ffmpeg. Media handed over
// before the server said Publish.Start is held (it counts towards the
// reader's bounded queue) and sent right after.
import net from "node:net";
import tls from "node:tls";
import { encodeAmf0, type Amf0Object, type Amf0Value } from "../media/amf0";
import { isAudioSequenceHeader, isVideoSequenceHeader, type FlvTagType } from "../media/flv";
import { ChunkReader } from "./chunk-reader";
import { ChunkWriter } from "./chunk-writer";
import { ClientHandshake } from "./client-handshake";
import { decodeCommand, type Command } from "./commands";
import { acknowledgementMessage, parseUserControl, parseWindowSize, pingResponseMessage, setChunkSizeMessage } from "./control-messages";
import type { RtmpTarget } from "./destination-url";
import { MessageType, UserControlEvent, type RtmpMessage } from "./protocol";

/** Chunk size we announce: what OBS and ffmpeg use; every ingest accepts it. */
const OUT_CHUNK_SIZE = 4096;
/** Chunk stream ids for what we send (protocol control is always 2). */
const Csid = { Command: 3, Audio: 4, Data: 5, Video: 6 } as const;
const SET_DATA_FRAME = encodeAmf0("@setDataFrame");
const FLASH_VER = "FMLE/3.0 (compatible; LiveRelay)";
/**
 * Media is written in batches this often rather than one send() per tag: with 200 relays of a
 * 30 fps stream a write per tag is ~15,000 system calls a second; batched, a few thousand. The
 * cost is at most this much added latency.
 */
export const MEDIA_FLUSH_MS = 25;

/** One timer for every publisher with batched media waiting. */
const flushDue = new Set<RtmpPublisher>();
let flushTimer: NodeJS.Timeout | undefined;
function scheduleFlush(p: RtmpPublisher) {
  flushDue.add(p);
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const due = [...flushDue];
    flushDue.clear();
    for (const publisher of due) publisher.flush();
  }, MEDIA_FLUSH_MS);
}

/** Why a publish attempt failed, as the relay reports it. */
export type PublishErrorCode =
  | "TlsVerificationFailed"
  | "TlsHandshakeFailed"
  | "ConnectionRefused"
  | "DnsFailed"
  | "Timeout"
  | "PublishRejected"
  | "DestinationFailed"
  | "ProtocolError";

export class PublishError extends Error {
  override name = "PublishError";
  constructor(
    readonly code: PublishErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RtmpPublisherOptions {
  /** TLS trust for rtmps:// (system store + configured CAs); made once per service. */
  secureContext?: tls.SecureContext;
  /** From the TCP connect to Publish.Start. */
  timeoutMs?: number;
}

export interface RtmpPublisherEvents {
  /** The server accepted the publish; media is flowing from here on. */
  onPublishing(): void;
  /** The connection is gone: `error` unset after finish() or destroy(). */
  onClosed(error?: PublishError): void;
}

type Phase = "connecting" | "handshake" | "connect" | "createStream" | "publish" | "publishing" | "closing" | "closed";

export class RtmpPublisher {
  private socket?: net.Socket;
  private phase: Phase = "connecting";
  private readonly handshake = new ClientHandshake();
  private readonly writer = new ChunkWriter();
  private readonly reader = new ChunkReader((m) => this.onMessage(m));
  private streamId = 0;
  private held: RtmpMessage[] = [];
  private heldBytes = 0;
  private sent = 0;
  /** Media encoded but not yet handed to the socket (see MEDIA_FLUSH_MS). */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** Byte offset just past the first audio/video frame (not a sequence header) we wrote. */
  private firstMediaEnd?: number;
  private framesSent = 0;
  private received = 0;
  private ackWindow = 0;
  private ackedAt = 0;
  private timer?: NodeJS.Timeout;
  private failure?: PublishError;

  constructor(
    private readonly target: RtmpTarget,
    private readonly events: RtmpPublisherEvents,
    private readonly opts: RtmpPublisherOptions = {},
  ) {}

  connect(): void {
    const { host, port, secure } = this.target;
    this.socket = secure
      ? tls.connect({ host, port, secureContext: this.opts.secureContext, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.once(secure ? "secureConnect" : "connect", () => this.onConnected());
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", (err) => this.fail(classifySocketError(err)));
    this.socket.once("close", () => this.onSocketClosed());
    this.timer = setTimeout(() => this.fail(new PublishError("Timeout", `no answer to publishing within ${(this.opts.timeoutMs ?? 10_000) / 1000} s (${this.phase})`)), this.opts.timeoutMs ?? 10_000);
  }

  get isPublishing(): boolean {
    return this.phase === "publishing";
  }

  /** Bytes the kernel has taken from us so far (what left the process). */
  get bytesFlushed(): number {
    return this.sent - this.batchBytes - (this.socket?.writableLength ?? 0);
  }

  /** True once a real frame, not just headers, has left the process. */
  get mediaFlushed(): boolean {
    return this.firstMediaEnd !== undefined && this.bytesFlushed >= this.firstMediaEnd;
  }

  /** Video frames written so far (for fps). */
  get videoFrames(): number {
    return this.framesSent;
  }

  /** Bytes waiting: held before Publish.Start plus the socket's write buffer. */
  get queuedBytes(): number {
    return this.heldBytes + this.batchBytes + (this.socket?.writableLength ?? 0);
  }

  /** One FLV tag; a script tag's onMetaData gets the @setDataFrame wrapper RTMP expects. */
  sendTag(type: FlvTagType, timestamp: number, payload: Buffer): void {
    if (this.phase === "closing" || this.phase === "closed") return;
    const message: RtmpMessage = {
      chunkStreamId: type === 8 ? Csid.Audio : type === 9 ? Csid.Video : Csid.Data,
      type: type === 18 ? MessageType.DataAmf0 : type,
      streamId: this.streamId,
      timestamp,
      payload: type === 18 ? Buffer.concat([SET_DATA_FRAME, payload]) : payload,
    };
    if (this.phase !== "publishing") {
      this.held.push(message);
      this.heldBytes += payload.length;
      return;
    }
    this.sendBatched(message);
  }

  /** Hands batched media to the socket in one writev. */
  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (!this.socket || this.socket.destroyed) return;
    this.socket.cork();
    for (const b of batch) this.socket.write(b);
    this.socket.uncork();
  }

  /** Orderly end: FCUnpublish, deleteStream, then close once the socket has drained. */
  finish(): void {
    if (this.phase === "closing" || this.phase === "closed") return;
    const wasPublishing = this.phase === "publishing";
    this.phase = "closing";
    if (wasPublishing && this.socket) {
      this.flush();
      this.command("FCUnpublish", 0, null, this.target.streamName);
      this.command("deleteStream", 0, null, this.streamId);
      this.socket.end();
    } else this.socket?.destroy();
  }

  /** Cuts the connection at once (a dropped reader, shutdown). */
  destroy(): void {
    if (this.phase === "closed") return;
    this.phase = "closing";
    this.socket?.destroy();
  }

  private onConnected() {
    this.phase = "handshake";
    this.write(this.handshake.start());
  }

  private onData(data: Buffer) {
    this.received += data.length;
    try {
      if (this.phase === "handshake") {
        const done = this.handshake.push(data);
        if (!done) return;
        this.write(done.c2);
        this.startSession();
        if (done.rest.length) this.reader.push(done.rest);
      } else this.reader.push(data);
    } catch (err) {
      this.fail(new PublishError("ProtocolError", `the destination spoke broken RTMP: ${(err as Error).message}`));
    }
    this.acknowledge();
  }

  private startSession() {
    this.phase = "connect";
    this.send(setChunkSizeMessage(OUT_CHUNK_SIZE));
    this.writer.chunkSize = OUT_CHUNK_SIZE;
    const { app, tcUrl } = this.target;
    this.command("connect", 1, {
      app, type: "nonprivate", flashVer: FLASH_VER, tcUrl,
      fpad: false, capabilities: 15, audioCodecs: 0x0fff, videoCodecs: 0x00ff, videoFunction: 1,
    });
  }

  private onMessage(m: RtmpMessage) {
    switch (m.type) {
      case MessageType.WindowAckSize:
        this.ackWindow = parseWindowSize(m.payload) ?? 0;
        return;
      case MessageType.UserControl: {
        const uc = parseUserControl(m.payload);
        if (uc?.event === UserControlEvent.PingRequest) this.send(pingResponseMessage(uc.value));
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.onCommand(decodeCommand(m));
      default:
        return; // Set Peer Bandwidth, acknowledgements, bandwidth checks: nothing to do for a publisher
    }
  }

  private onCommand(c: Command) {
    if (c.name === "_error") return this.fail(rejected(c.args[0], this.target.streamName));
    if (c.name === "onStatus") return this.onStatus(c.args[0]);
    if (c.name !== "_result") return; // onBWDone, onFCPublish, …
    if (this.phase === "connect" && c.transactionId === 1) {
      this.phase = "createStream";
      this.command("releaseStream", 2, null, this.target.streamName);
      this.command("FCPublish", 3, null, this.target.streamName);
      this.command("createStream", 4, null);
    } else if (this.phase === "createStream" && c.transactionId === 4) {
      const id = c.args[0];
      if (typeof id !== "number") return this.fail(new PublishError("ProtocolError", "createStream answered without a stream id"));
      this.streamId = id;
      this.phase = "publish";
      this.commandOn(this.streamId, "publish", 5, null, this.target.streamName, "live");
    }
  }

  private onStatus(info: Amf0Value) {
    const code = isObject(info) && typeof info.code === "string" ? info.code : "";
    const level = isObject(info) ? info.level : undefined;
    if (this.phase === "publish" && code === "NetStream.Publish.Start") return this.startPublishing();
    if (level === "error" || code.endsWith(".BadName") || code.endsWith(".Rejected") || code.endsWith(".Failed")) this.fail(rejected(info, this.target.streamName));
  }

  private startPublishing() {
    clearTimeout(this.timer);
    this.phase = "publishing";
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const m of held) this.sendBatched({ ...m, streamId: this.streamId });
    this.flush(); // the start of the stream goes out at once
    this.events.onPublishing();
  }

  private command(name: string, transactionId: number, object: Amf0Value, ...args: Amf0Value[]) {
    this.commandOn(0, name, transactionId, object, ...args);
  }

  private commandOn(streamId: number, name: string, transactionId: number, object: Amf0Value, ...args: Amf0Value[]) {
    this.send({ chunkStreamId: streamId === 0 ? Csid.Command : Csid.Data, type: MessageType.CommandAmf0, streamId, timestamp: 0, payload: encodeAmf0(name, transactionId, object, ...args) });
  }

  private acknowledge() {
    if (this.ackWindow > 0 && this.received - this.ackedAt >= this.ackWindow) {
      this.ackedAt = this.received;
      this.send(acknowledgementMessage(this.received));
    }
  }

  private send(message: RtmpMessage) {
    this.flush(); // control and commands never overtake media
    this.write(this.writer.encode(message));
    this.countSent(message);
  }

  private sendBatched(message: RtmpMessage) {
    for (const part of this.writer.encodeParts(message)) {
      this.sent += part.length;
      this.batch.push(part);
      this.batchBytes += part.length;
    }
    scheduleFlush(this);
    this.countSent(message);
  }

  private countSent(message: RtmpMessage) {
    if (message.type === MessageType.Video && !isVideoSequenceHeader(message.payload)) this.framesSent++;
    if (this.firstMediaEnd === undefined && isFrame(message)) this.firstMediaEnd = this.sent;
  }

  private write(bytes: Buffer) {
    if (!this.socket || this.socket.destroyed) return;
    this.sent += bytes.length;
    this.socket.write(bytes);
  }

  private fail(error: PublishError) {
    if (this.phase === "closed") return;
    this.failure ??= error;
    this.socket?.destroy();
  }

  private onSocketClosed() {
    clearTimeout(this.timer);
    const expected = this.phase === "closing" && !this.failure;
    const phase = this.phase;
    this.phase = "closed";
    this.held = [];
    this.heldBytes = 0;
    this.batch = [];
    this.batchBytes = 0;
    this.events.onClosed(expected ? undefined : (this.failure ?? this.closedByPeer(phase)));
  }

  /** Ingest servers answer a wrong app or key by hanging up (nginx-rtmp, Twitch): before Publish.Start that is a refusal. */
  private closedByPeer(phase: Phase): PublishError {
    if (phase === "connect" || phase === "createStream" || phase === "publish") {
      return new PublishError("PublishRejected", `the destination closed the connection before accepting the publish (during ${phase}; wrong application or stream key?)`);
    }
    return new PublishError("DestinationFailed", "the destination closed the connection");
  }
}

function isFrame(m: RtmpMessage): boolean {
  if (m.type === MessageType.Video) return !isVideoSequenceHeader(m.payload);
  return m.type === MessageType.Audio && !isAudioSequenceHeader(m.payload);
}

function isObject(v: Amf0Value | undefined): v is Amf0Object {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The server's own words (code, description), without the stream key some servers echo. */
function rejected(info: Amf0Value | undefined, streamName: string): PublishError {
  const parts = isObject(info) ? [info.code, info.description].filter((p): p is string => typeof p === "string" && p.length > 0) : [];
  const key = streamName.split("?")[0];
  const reason = parts.join(": ").split(streamName).join("…").split(key).join("…").slice(0, 300);
  return new PublishError("PublishRejected", `the destination refused the publish${reason ? `: ${reason}` : ""}`);
}

const TLS_VERIFY_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CERT_UNTRUSTED", "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE", "ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH", "INVALID_CA", "CERT_REVOKED",
]);

export function classifySocketError(err: Error & { code?: string }): PublishError {
  const code = err.code ?? "";
  if (TLS_VERIFY_CODES.has(code)) return new PublishError("TlsVerificationFailed", `the destination's TLS certificate was not accepted (${code}): ${err.message}`);
  if (code === "ECONNREFUSED") return new PublishError("ConnectionRefused", "the destination refused the connection (nothing listening on that port)");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NODATA") return new PublishError("DnsFailed", `the destination's host name did not resolve (${code})`);
  if (code === "ETIMEDOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH") return new PublishError("Timeout", `the destination could not be reached (${code})`);
  if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || /SSL|TLS/.test(err.message)) return new PublishError("TlsHandshakeFailed", `the TLS handshake failed: ${err.message}`);
  return new PublishError("DestinationFailed", `the connection to the destination failed (${code || err.message})`);
}
