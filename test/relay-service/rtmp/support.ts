// Shared bits for the RTMP tests: a pino logger that keeps its output in
// memory (to assert what is and is not logged) and the captured ffmpeg fixture.
import { readFileSync } from "node:fs";
import path from "node:path";
import pino, { Logger } from "pino";
import { ServerHandshake } from "../../../relay-service/src/rtmp/handshake";
import { ChunkReader } from "../../../relay-service/src/rtmp/chunk-reader";
import { RtmpMessage } from "../../../relay-service/src/rtmp/protocol";

export function memoryLogger(level: pino.Level = "debug"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

/** Client→server bytes of one real `ffmpeg -f flv rtmp://…/live/show?vhost=a.example.com&auth_key=secret`. */
export function ffmpegPublishFixture(): Buffer {
  return readFileSync(path.resolve(__dirname, "../../fixtures/rtmp/ffmpeg-publish.client.bin"));
}

/** Runs client bytes through the server handshake and chunk reader, as the session does. */
export function decodeClientBytes(pieces: Iterable<Buffer>): RtmpMessage[] {
  const messages: RtmpMessage[] = [];
  const handshake = new ServerHandshake();
  const reader = new ChunkReader((m) => messages.push(m));
  let handshakeDone = false;
  for (const piece of pieces) {
    if (handshakeDone) {
      reader.push(piece);
      continue;
    }
    const progress = handshake.push(piece);
    handshakeDone = progress.done;
    if (progress.rest) reader.push(progress.rest);
  }
  return messages;
}

/** Splits a buffer into pieces of pseudo-random sizes between 1 and maxPiece bytes. */
export function* randomPieces(buf: Buffer, seed: number, maxPiece: number): Generator<Buffer> {
  let state = seed;
  for (let offset = 0; offset < buf.length; ) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % maxPiece);
    yield buf.subarray(offset, offset + size);
    offset += size;
  }
}
