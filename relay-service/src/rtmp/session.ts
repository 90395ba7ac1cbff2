// One RTMP connection from handshake to close: feeds socket bytes through the
// handshake and the chunk reader, answers NetConnection/NetStream commands,
// asks the hub whether a publish is allowed and forwards media once it is.
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { Amf0Error, Amf0Object, Amf0Value } from "../media/amf0";
import type { BudgetHolder, ByteBudget } from "./byte-budget";
import { ChunkReader, ChunkReaderLimits } from "./chunk-reader";
import { ChunkWriter } from "./chunk-writer";
import {
  Command, connectResultMessage, decodeCommand, errorMessage, onStatusMessage, resultMessage,
} from "./commands";
import {
  acknowledgementMessage, parseUserControl, parseWindowSize, pingResponseMessage,
  setChunkSizeMessage, setPeerBandwidthMessage, streamBeginMessage, windowAckSizeMessage,
} from "./control-messages";
import { ServerHandshake } from "./handshake";
import { Playback } from "./playback";
import { Publication, PublishEndReason } from "./publication";
import { buildPublishRequest, splitNameAndQuery } from "./publish-request";
import { MessageType, RtmpLimitError, RtmpLimitReason, RtmpMessage, RtmpProtocolError, UserControlEvent } from "./protocol";
import type { RtmpPlayDecision, RtmpPublishDecision, RtmpPublishRequest } from "./server";

export interface RtmpSessionOptions {
  logger: Logger;
  onPublish(req: RtmpPublishRequest): Promise<RtmpPublishDecision> | RtmpPublishDecision;
  /** A player asks for a stream (absent: playback is refused). */
  onPlay?(req: RtmpPublishRequest): RtmpPlayDecision;
  idleTimeoutMs: number;
  readerLimits?: Partial<Omit<ChunkReaderLimits, "budget">>;
  /** Incomplete-message bytes of every connection of the server. */
  budget?: ByteBudget;
  /** The peer passed a resource limit and is being closed. */
  onLimit?(reason: RtmpLimitReason): void;
}

const OUT_CHUNK_SIZE = 4096;
const WINDOW_ACK_SIZE = 2_500_000;
/** A client that leaves this much of our (tiny) replies unread is not reading at all. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** Media held while the hub decides; beyond this it is dropped (ffmpeg/OBS wait for Publish.Start anyway). */
const MAX_HELD_BYTES = 4 * 1024 * 1024;
/** After a rejection or protocol error, time given to flush our last words before destroying. */
const LINGER_MS = 2000;
const MAX_STREAMS_PER_CONNECTION = 8;

type Phase = "handshake" | "rtmp" | "closing";

interface PendingPublish {
  held: RtmpMessage[];
  heldBytes: number;
  dropped: number;
}

export class RtmpSession implements BudgetHolder {
  readonly closed: Promise<void>;
  private readonly log: Logger;
  private readonly handshake = new ServerHandshake();
  private readonly reader: ChunkReader;
  private readonly writer = new ChunkWriter();
  private phase: Phase = "handshake";
  private connectInfo: { app: string; tcUrl: string } | null = null;
  private nextStreamId = 1;
  private pending: PendingPublish | null = null;
  private publication: Publication | null = null;
  private playback: { play: Playback; detach: () => void } | null = null;
  private endReason: PublishEndReason | null = null;
  private bytesReceived = 0;
  private bytesAcked = 0;
  private peerWindowAckSize = 0;
  private idleTimer: NodeJS.Timeout;

  constructor(private readonly socket: Socket, private readonly opts: RtmpSessionOptions) {
    this.log = opts.logger;
    const shared = opts.budget && { budget: opts.budget, holder: this };
    this.reader = new ChunkReader((m) => this.onMessage(m), { ...opts.readerLimits, budget: shared });
    this.idleTimer = setTimeout(() => this.terminate("timeout", "idle timeout"), opts.idleTimeoutMs);
    this.closed = new Promise((resolve) => socket.once("close", () => {
      this.onSocketClose();
      resolve();
    }));
    socket.on("data", (data: Buffer) => this.onData(data));
    socket.on("error", (err) => this.log.debug({ err }, "rtmp socket error"));
    this.log.debug("rtmp connection opened");
  }

  /** The server's shared budget ran out and this connection holds the most of it. */
  evict(): void {
    this.onInputError(new RtmpLimitError("buffer-limit", "holds the most bytes of incomplete messages while the server is at its limit"));
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "";
  }

  /** Ends the connection; an accepted publish gets onEnd(reason). Idempotent. */
  terminate(reason: PublishEndReason, why: string, graceful = false): void {
    if (this.phase === "closing") return;
    this.phase = "closing";
    this.endReason = reason;
    clearTimeout(this.idleTimer);
    this.log.info({ why }, "closing rtmp connection");
    this.endPublication(reason);
    this.endPlayback();
    this.reader.dispose(); // whatever else arrives is ignored, so nothing is held from here on
    if (!graceful) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  private onSocketClose(): void {
    clearTimeout(this.idleTimer);
    this.reader.dispose();
    if (this.phase !== "closing") {
      this.phase = "closing";
      this.endReason = "disconnect";
      this.endPublication("disconnect");
    }
    this.endPlayback();
    this.log.debug({ bytesReceived: this.bytesReceived }, "rtmp connection closed");
  }

  private endPublication(reason: PublishEndReason): void {
    const publication = this.publication;
    this.publication = null;
    if (!publication) return;
    publication.end(reason);
    this.log.info({ reason }, "publish ended");
  }

  private endPlayback(): void {
    const playback = this.playback;
    this.playback = null;
    if (!playback) return;
    playback.play.detach();
    playback.detach();
  }

  // ---- input ------------------------------------------------------------

  private onData(data: Buffer): void {
    if (this.phase === "closing") return; // we are hanging up; whatever else comes is moot
    this.idleTimer.refresh();
    this.bytesReceived += data.length;
    try {
      if (this.phase === "handshake") this.onHandshakeData(data);
      else this.reader.push(data);
      this.maybeAcknowledge();
    } catch (err) {
      this.onInputError(err);
    }
  }

  private onHandshakeData(data: Buffer): void {
    const progress = this.handshake.push(data);
    if (progress.reply) this.socket.write(progress.reply);
    if (!progress.done) return;
    this.phase = "rtmp";
    if (progress.rest) this.reader.push(progress.rest);
  }

  private onInputError(err: unknown): void {
    if (err instanceof RtmpLimitError) {
      this.log.warn({ error: err.message }, "rtmp connection over a resource limit");
      this.opts.onLimit?.(err.reason);
      this.terminate("protocol-error", err.message);
      return;
    }
    if (err instanceof RtmpProtocolError || err instanceof Amf0Error) {
      this.log.warn({ error: err.message }, "rtmp protocol error");
      this.terminate("protocol-error", err.message, true);
      return;
    }
    this.log.error({ err }, "internal error while handling rtmp input");
    this.terminate("disconnect", "internal error", true);
  }

  /** The client asked (Window Acknowledgement Size) to hear how much we received. */
  private maybeAcknowledge(): void {
    if (this.peerWindowAckSize === 0 || this.phase !== "rtmp") return;
    if (this.bytesReceived - this.bytesAcked < this.peerWindowAckSize) return;
    this.bytesAcked = this.bytesReceived;
    this.send(acknowledgementMessage(this.bytesReceived));
  }

  private onMessage(message: RtmpMessage): void {
    if (this.phase === "closing") return;
    if (this.pending) {
      this.hold(message);
      return;
    }
    this.dispatch(message);
  }

  /** While the hub decides on a publish nothing may reach a sink; keep it in order instead. */
  private hold(message: RtmpMessage): void {
    const pending = this.pending!;
    if (pending.heldBytes + message.payload.length > MAX_HELD_BYTES) {
      if (pending.dropped++ === 0) this.log.warn("dropping media sent before the publish was accepted");
      return;
    }
    pending.held.push(message);
    pending.heldBytes += message.payload.length;
  }

  private dispatch(message: RtmpMessage): void {
    switch (message.type) {
      case MessageType.Audio:
      case MessageType.Video:
        // Not filtered by message stream id: a connection has at most one
        // publication, and being lenient costs nothing.
        this.publication?.handleMedia(message);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.publication?.handleData(message);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommand(message));
        return;
      default:
        this.onControl(message);
    }
  }

  private onControl(message: RtmpMessage): void {
    if (message.type === MessageType.WindowAckSize) {
      this.peerWindowAckSize = parseWindowSize(message.payload) ?? 0;
    } else if (message.type === MessageType.UserControl) {
      const event = parseUserControl(message.payload);
      if (event?.event === UserControlEvent.PingRequest) this.send(pingResponseMessage(event.value));
    }
    // Acknowledgement and Set Peer Bandwidth need no action: we send almost nothing.
  }

  // ---- commands ---------------------------------------------------------

  private onCommand(cmd: Command): void {
    switch (cmd.name) {
      case "connect":
        return this.onConnect(cmd);
      case "createStream":
        return this.onCreateStream(cmd);
      case "publish":
        return this.onPublishCommand(cmd);
      case "FCUnpublish":
        return this.unpublish("FCUnpublish");
      case "deleteStream":
      case "closeStream":
        this.endPlayback();
        return this.unpublish(cmd.name);
      case "getStreamLength":
        // Players ask before play; ffmpeg reads a number (0: live, no length).
        if (cmd.transactionId > 0) this.send(resultMessage(cmd.transactionId, null, 0));
        return;
      case "releaseStream":
      case "FCPublish":
      case "_checkbw":
        return this.replyEmptyResult(cmd);
      case "play":
        return this.onPlayCommand(cmd);
      case "play2":
        return this.refusePlay(cmd, "NetStream.Play.Failed", "play2 is not supported: use play.");
      default:
        return this.onUnknownCommand(cmd);
    }
  }

  private onConnect(cmd: Command): void {
    if (this.connectInfo) throw new RtmpProtocolError("second connect on one connection");
    const props = isObject(cmd.object) ? cmd.object : {};
    const app = typeof props.app === "string" ? props.app : "";
    const tcUrl = typeof props.tcUrl === "string" ? props.tcUrl : "";
    this.connectInfo = { app, tcUrl };
    this.log.info({ app: splitNameAndQuery(app).name }, "rtmp connect");
    this.send(windowAckSizeMessage(WINDOW_ACK_SIZE));
    this.send(setPeerBandwidthMessage(WINDOW_ACK_SIZE));
    this.send(setChunkSizeMessage(OUT_CHUNK_SIZE));
    this.writer.chunkSize = OUT_CHUNK_SIZE;
    this.send(connectResultMessage(cmd.transactionId, props.fourCcList));
  }

  private onCreateStream(cmd: Command): void {
    this.requireConnected(cmd);
    if (this.nextStreamId > MAX_STREAMS_PER_CONNECTION) {
      this.send(errorMessage(cmd.transactionId, callFailed("too many streams")));
      return;
    }
    this.send(resultMessage(cmd.transactionId, null, this.nextStreamId++));
  }

  private onPublishCommand(cmd: Command): void {
    this.requireConnected(cmd);
    const name = cmd.args[0];
    if (cmd.streamId === 0 || cmd.streamId >= this.nextStreamId) {
      throw new RtmpProtocolError("publish on a stream that was never created");
    }
    if (this.publication || this.pending) {
      this.send(publishError(cmd.streamId, "NetStream.Publish.BadName", "Already publishing on this connection."));
      return;
    }
    if (typeof name !== "string" || splitNameAndQuery(name).name === "") {
      this.rejectPublish(cmd.streamId, "NetStream.Publish.BadName", "Missing stream name.");
      return;
    }
    this.decidePublish(cmd.streamId, name).catch((err: unknown) => this.onInputError(err));
  }

  private unpublish(command: string): void {
    if (!this.publication) return;
    this.log.debug({ command }, "client unpublished");
    this.endPublication("unpublish");
  }

  private replyEmptyResult(cmd: Command): void {
    // Adobe-era preliminaries; clients do not wait for the answer, but ffmpeg
    // logs a warning on _error, so a plain _result keeps them quiet.
    if (cmd.transactionId > 0) this.send(resultMessage(cmd.transactionId, null, undefined));
  }

  private refusePlay(cmd: Command, code: string, description: string): void {
    this.send(onStatusMessage(cmd.streamId, { level: "error", code, description }));
  }

  // ---- play -------------------------------------------------------------

  private onPlayCommand(cmd: Command): void {
    this.requireConnected(cmd);
    const name = cmd.args[0];
    if (cmd.streamId === 0 || cmd.streamId >= this.nextStreamId) throw new RtmpProtocolError("play on a stream that was never created");
    if (!this.opts.onPlay) return this.refusePlay(cmd, "NetStream.Play.Failed", "Playback is not offered.");
    if (this.publication || this.pending || this.playback) return this.refusePlay(cmd, "NetStream.Play.Failed", "This connection already publishes or plays.");
    if (typeof name !== "string" || splitNameAndQuery(name).name === "") return this.refusePlay(cmd, "NetStream.Play.StreamNotFound", "Missing stream name.");
    const request = buildPublishRequest(this.connectInfo!, name, this.remoteAddress);
    const where = { app: request.app, streamName: request.streamName };
    const decision = this.opts.onPlay(request);
    if (!decision.accept) {
      this.log.info({ ...where, code: decision.code }, "play refused");
      this.refusePlay(cmd, playRefusalStatus(decision.code), decision.description);
      this.terminate("unpublish", "play refused", true);
      return;
    }
    this.startPlayback(cmd.streamId, splitNameAndQuery(name).name, decision.start);
    this.log.info(where, "play started");
  }

  /** Players send almost nothing once playing, so the idle timeout no longer applies: a dead one is found by its full socket. */
  private startPlayback(streamId: number, name: string, start: Extract<RtmpPlayDecision, { accept: true }>["start"]): void {
    clearTimeout(this.idleTimer);
    const play = new Playback(streamId, this.socket, this.writer, (reason) => {
      this.send(onStatusMessage(streamId, { level: "status", code: "NetStream.Play.UnpublishNotify", description: `${name} is unpublished.` }));
      this.send(onStatusMessage(streamId, { level: "status", code: "NetStream.Play.Stop", description: reason === "ended" ? "The stream ended." : "The player fell behind the stream." }));
      this.terminate("unpublish", reason === "ended" ? "played stream ended" : "player fell behind", true);
    });
    this.send(streamBeginMessage(streamId));
    this.send(onStatusMessage(streamId, { level: "status", code: "NetStream.Play.Reset", description: `Playing and resetting ${name}.` }, name));
    this.send(onStatusMessage(streamId, { level: "status", code: "NetStream.Play.Start", description: `Started playing ${name}.` }, name));
    this.send(play.sampleAccessMessage());
    this.playback = { play, detach: () => {} };
    const detach = start(play);
    if (this.playback?.play === play) this.playback.detach = detach;
    else detach(); // the source ended the play at once
  }

  private onUnknownCommand(cmd: Command): void {
    this.log.debug({ command: cmd.name }, "ignoring unknown rtmp command");
    if (cmd.transactionId > 0) this.send(errorMessage(cmd.transactionId, callFailed(`unknown command ${cmd.name}`)));
  }

  private requireConnected(cmd: Command): void {
    if (!this.connectInfo) throw new RtmpProtocolError(`${cmd.name} before connect`);
  }

  // ---- publish decision -------------------------------------------------

  private async decidePublish(streamId: number, name: string): Promise<void> {
    const request = buildPublishRequest(this.connectInfo!, name, this.remoteAddress);
    const where = { app: request.app, streamName: request.streamName };
    this.log.info(where, "publish requested");
    this.pending = { held: [], heldBytes: 0, dropped: 0 };
    const decision = await this.askHub(request);
    const held = this.pending.held;
    this.pending = null;
    if (!decision.accept) {
      this.log.info({ ...where, code: decision.code }, "publish rejected");
      this.rejectPublish(streamId, rejectionStatusCode(decision.code), decision.description);
      return;
    }
    this.acceptPublish(streamId, new Publication(streamId, decision.sink, this.log), name);
    this.log.info(where, "publish accepted");
    for (const message of held) this.onMessage(message);
  }

  private async askHub(request: RtmpPublishRequest): Promise<RtmpPublishDecision> {
    try {
      return await this.opts.onPublish(request);
    } catch (err) {
      this.log.error({ err }, "onPublish failed");
      return { accept: false, code: "BadRequest", description: "Publish could not be authorised." };
    }
  }

  private acceptPublish(streamId: number, publication: Publication, name: string): void {
    if (this.phase === "closing") {
      // The client left (or we hung up) while the hub was deciding; the hub
      // still accepted, so it must hear that the publish is already over.
      publication.end(this.endReason ?? "disconnect");
      return;
    }
    this.publication = publication;
    this.send(streamBeginMessage(streamId));
    const status = { level: "status" as const, code: "NetStream.Publish.Start", description: "Publishing started." };
    this.send(onStatusMessage(streamId, status, splitNameAndQuery(name).name));
    publication.start(() => this.terminate("taken-over", "a newer publisher took the stream over"));
  }

  private rejectPublish(streamId: number, code: string, description: string): void {
    if (this.phase === "closing") return;
    this.send(publishError(streamId, code, description));
    this.terminate("unpublish", "publish rejected", true); // no publication exists, so no onEnd
  }

  // ---- output -----------------------------------------------------------

  private send(message: RtmpMessage): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(this.writer.encode(message));
    // A player's socket holds its media too; the hub bounds that queue instead.
    if (!this.playback && this.socket.writableLength > MAX_UNSENT_BYTES) {
      this.terminate("protocol-error", "client does not read its replies");
    }
  }
}

function isObject(value: Amf0Value): value is Amf0Object {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function callFailed(description: string): Amf0Object {
  return { level: "error", code: "NetConnection.Call.Failed", description };
}

function publishError(streamId: number, code: string, description: string): RtmpMessage {
  return onStatusMessage(streamId, { level: "error", code, description });
}

function playRefusalStatus(code: Extract<RtmpPlayDecision, { accept: false }>["code"]): string {
  return code === "NotFound" ? "NetStream.Play.StreamNotFound" : "NetStream.Play.Failed";
}

function rejectionStatusCode(code: "Unauthorized" | "Conflict" | "BadRequest"): string {
  // BadName is what Adobe's servers answer for "already being published";
  // there is no standard code for a malformed request, BadName is the closest.
  return code === "Unauthorized" ? "NetStream.Publish.Unauthorized" : "NetStream.Publish.BadName";
}
