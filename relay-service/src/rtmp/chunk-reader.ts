// Reassembles RTMP messages from the chunk stream a client sends.
//
// Each chunk is: basic header (fmt + chunk stream id, 1–3 bytes), message
// header (11/7/3/0 bytes for fmt 0/1/2/3), optional 4-byte extended timestamp,
// then up to `chunkSize` body bytes. Headers of fmt 1–3 inherit the missing
// fields from the previous chunk on the same chunk stream, so state is kept
// per chunk stream id.
//
// Set Chunk Size and Abort are applied here, not by the session, because they
// change how the very next bytes must be parsed.
import type { BudgetHolder, ByteBudget } from "./byte-budget";
import { ByteQueue } from "./byte-queue";
import { MessageBody } from "./message-body";
import { DEFAULT_CHUNK_SIZE, MessageType, RtmpLimitError, RtmpMessage, RtmpProtocolError } from "./protocol";

export interface ChunkReaderLimits {
  /** Largest message accepted (the wire format allows 16 MiB - 1). */
  maxMessageLength: number;
  /** Distinct chunk stream ids a client may use; real clients use fewer than ten. */
  maxChunkStreams: number;
  /** Bytes of not-yet-complete messages held across all chunk streams. */
  maxPendingBytes: number;
  /** Shared with every other connection: incomplete-message bytes of the whole server. */
  budget?: { budget: ByteBudget; holder: BudgetHolder };
}

export const DEFAULT_CHUNK_READER_LIMITS: ChunkReaderLimits = {
  maxMessageLength: 8 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPendingBytes: 12 * 1024 * 1024,
};

/** Chunk sizes ≥ 2^31 are invalid per spec; 0 would never make progress. */
const MAX_CHUNK_SIZE = 0x7fffffff;
const EXTENDED_TIMESTAMP = 0xffffff;
const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;

interface ChunkStreamState {
  timestamp: number;
  /** Delta applied by fmt 3 headers that start a new message (after fmt 0 it is the absolute timestamp, as ffmpeg and GStreamer write it). */
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The last fmt 0–2 header carried an extended timestamp, so fmt 3 chunks do too. */
  extended: boolean;
  /** The message being received on this chunk stream, if any. */
  body: MessageBody | null;
}

interface ParsedHeader {
  fmt: number;
  chunkStreamId: number;
  timestampField: number;
  extended: boolean;
  fields: Buffer;
  size: number;
}

export class ChunkReader {
  private readonly limits: ChunkReaderLimits;
  private readonly queue = new ByteQueue();
  private readonly streams = new Map<number, ChunkStreamState>();
  private inChunk: { state: ChunkStreamState; chunkStreamId: number; remaining: number } | null = null;
  private pendingBytes = 0;
  private chunkSize = DEFAULT_CHUNK_SIZE;

  constructor(
    private readonly onMessage: (message: RtmpMessage) => void,
    limits: Partial<ChunkReaderLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CHUNK_READER_LIMITS, ...limits };
  }

  get incomingChunkSize(): number {
    return this.chunkSize;
  }

  /** Parses as much as possible; throws RtmpProtocolError on malformed input. */
  push(data: Buffer): void {
    this.queue.push(data);
    while (this.step()) {
      // keep going until the queue runs dry
    }
  }

  private step(): boolean {
    if (this.inChunk) return this.readBody();
    const header = this.parseHeader();
    if (!header) return false;
    this.queue.skip(header.size);
    this.applyHeader(header);
    return true;
  }

  private parseHeader(): ParsedHeader | null {
    const peek = this.queue.peek(18);
    if (peek.length < 1) return null;
    const fmt = peek[0] >> 6;
    let chunkStreamId = peek[0] & 0x3f;
    let pos = 1;
    if (chunkStreamId === 0) {
      if (peek.length < 2) return null;
      chunkStreamId = 64 + peek[1];
      pos = 2;
    } else if (chunkStreamId === 1) {
      if (peek.length < 3) return null;
      chunkStreamId = 64 + peek[1] + peek[2] * 256;
      pos = 3;
    }
    return this.parseMessageHeader(peek, fmt, chunkStreamId, pos);
  }

  private parseMessageHeader(peek: Buffer, fmt: number, chunkStreamId: number, pos: number): ParsedHeader | null {
    const known = this.streams.get(chunkStreamId);
    if (fmt !== 0 && !known) throw new RtmpProtocolError(`fmt ${fmt} chunk on new chunk stream ${chunkStreamId}`);
    const headerLength = MESSAGE_HEADER_LENGTH[fmt];
    if (peek.length < pos + headerLength) return null;
    const fields = peek.subarray(pos, pos + headerLength);
    let timestampField = fmt === 3 ? 0 : fields.readUIntBE(0, 3);
    const extended = fmt === 3 ? known!.extended : timestampField === EXTENDED_TIMESTAMP;
    const size = pos + headerLength + (extended ? 4 : 0);
    if (peek.length < size) return null;
    if (extended) timestampField = peek.readUInt32BE(pos + headerLength);
    // Copy: `fields` may be a slice of a buffer the queue is about to drop.
    return { fmt, chunkStreamId, timestampField, extended, fields: Buffer.from(fields), size };
  }

  private applyHeader(h: ParsedHeader): void {
    const state = this.streams.get(h.chunkStreamId) ?? this.newStream(h.chunkStreamId);
    if (state.body && h.fmt === 3) {
      // Continuation chunk of the message in progress: nothing in the header changes.
      this.enterChunk(state, h.chunkStreamId);
      return;
    }
    if (state.body) {
      throw new RtmpProtocolError(`new message header on chunk stream ${h.chunkStreamId} before previous message completed`);
    }
    updateStateFromHeader(state, h);
    if (state.length > this.limits.maxMessageLength) {
      throw new RtmpLimitError("message-too-large", `message length ${state.length} exceeds limit ${this.limits.maxMessageLength}`);
    }
    state.body = new MessageBody(state.length, (n) => this.holdPending(n));
    if (state.length === 0) this.completeMessage(state, h.chunkStreamId);
    else this.enterChunk(state, h.chunkStreamId);
  }

  private newStream(chunkStreamId: number): ChunkStreamState {
    if (this.streams.size >= this.limits.maxChunkStreams) {
      throw new RtmpProtocolError(`more than ${this.limits.maxChunkStreams} chunk streams`);
    }
    const state: ChunkStreamState = {
      timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, body: null,
    };
    this.streams.set(chunkStreamId, state);
    return state;
  }

  private enterChunk(state: ChunkStreamState, chunkStreamId: number): void {
    const remaining = Math.min(this.chunkSize, state.length - state.body!.received);
    this.inChunk = { state, chunkStreamId, remaining };
  }

  private readBody(): boolean {
    const chunk = this.inChunk!;
    if (this.queue.length === 0) return false;
    const body = chunk.state.body!;
    for (const slice of this.queue.take(chunk.remaining)) {
      chunk.remaining -= slice.length;
      body.add(slice);
    }
    if (chunk.remaining > 0) return false;
    this.inChunk = null;
    if (body.received === body.length) this.completeMessage(chunk.state, chunk.chunkStreamId);
    return true;
  }

  /** Counts bytes of incomplete messages against this connection's and the server's limits. */
  private holdPending(n: number): void {
    if (this.pendingBytes + n > this.limits.maxPendingBytes) {
      throw new RtmpLimitError("buffer-limit", `more than ${this.limits.maxPendingBytes} bytes of incomplete messages`);
    }
    const shared = this.limits.budget;
    if (shared && !shared.budget.tryTake(shared.holder, n)) {
      throw new RtmpLimitError("buffer-limit", `the server holds ${shared.budget.limit} bytes of incomplete messages`);
    }
    this.pendingBytes += n;
  }

  private releasePending(n: number): void {
    this.pendingBytes -= n;
    this.limits.budget?.budget.give(this.limits.budget.holder, n);
  }

  /** Gives every held byte back to the shared budget (the connection is gone). */
  dispose(): void {
    for (const state of this.streams.values()) state.body = null;
    this.inChunk = null;
    this.releasePending(this.pendingBytes);
  }

  private completeMessage(state: ChunkStreamState, chunkStreamId: number): void {
    const body = state.body!;
    const payload = body.payload();
    this.releasePending(body.held);
    state.body = null;
    const message: RtmpMessage = {
      chunkStreamId, type: state.type, streamId: state.streamId, timestamp: state.timestamp, payload,
    };
    if (!this.handleChunkControl(message)) this.onMessage(message);
  }

  /** Applies Set Chunk Size / Abort; returns true if the message was one of them. */
  private handleChunkControl(message: RtmpMessage): boolean {
    if (message.type === MessageType.SetChunkSize) {
      this.setChunkSize(readControlU32(message));
      return true;
    }
    if (message.type === MessageType.Abort) {
      this.abort(readControlU32(message));
      return true;
    }
    return false;
  }

  private setChunkSize(size: number): void {
    // The top bit must be zero per spec; zero would mean chunks that carry nothing.
    if (size < 1 || size > MAX_CHUNK_SIZE) throw new RtmpProtocolError(`invalid chunk size ${size}`);
    this.chunkSize = size;
  }

  private abort(chunkStreamId: number): void {
    const state = this.streams.get(chunkStreamId);
    if (!state?.body) return;
    this.releasePending(state.body.held);
    state.body = null;
  }
}

function updateStateFromHeader(state: ChunkStreamState, h: ParsedHeader): void {
  if (h.fmt === 0) {
    state.timestamp = h.timestampField;
    state.delta = h.timestampField;
  } else if (h.fmt <= 2) {
    state.delta = h.timestampField;
    state.timestamp = (state.timestamp + h.timestampField) >>> 0;
  } else {
    state.timestamp = (state.timestamp + state.delta) >>> 0;
  }
  if (h.fmt <= 2) state.extended = h.extended;
  if (h.fmt <= 1) {
    state.length = h.fields.readUIntBE(3, 3);
    state.type = h.fields[6];
  }
  if (h.fmt === 0) state.streamId = h.fields.readUInt32LE(7);
}

function readControlU32(message: RtmpMessage): number {
  if (message.payload.length < 4) throw new RtmpProtocolError(`control message type ${message.type} too short`);
  return message.payload.readUInt32BE(0);
}
