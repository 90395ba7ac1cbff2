import { flvFrameTag, flvOnMetaData, flvSequenceHeader } from "../media/flv-frames";
import { ticksToMs, type MediaFrame, type Track } from "../media/frame";
import { TsMuxer } from "../media/ts-mux";
import { FlvGopCache } from "./flv-gop-cache";
import type { StreamTracks } from "./frame-gop-cache";
import { TsGopCache } from "./ts-gop-cache";

/**
 * A container muxed from frames, once per stream: every reader of that container gets the
 * same bytes. Its start cache is the same one the container's native ingest uses, fed with
 * the muxed bytes, so joining works alike whichever protocol published.
 */
export interface FrameOutput {
  readonly cache: FlvGopCache | TsGopCache;
  /**
   * Muxes one frame: each chunk is added to the cache and then handed to `emit`, one at a time,
   * so a reader admitted on one chunk (its snapshot ending with it) does not get it twice.
   */
  push(frame: MediaFrame, tracks: StreamTracks, emit: (chunk: Buffer) => void): void;
}

/** FLV from frames: onMetaData and sequence headers whenever a track starts or changes, then one tag per frame. */
export class FlvFrameOutput implements FrameOutput {
  readonly cache = new FlvGopCache();
  private readonly sent: StreamTracks = {};

  push(frame: MediaFrame, tracks: StreamTracks, emit: (chunk: Buffer) => void): void {
    const kind = frame.track.kind;
    if (this.sent[kind] !== frame.track) {
      if (!this.sent[kind]) emit(this.cache.add(18, 0, flvOnMetaData(tracks)));
      this.sent[kind] = frame.track;
      const header = flvSequenceHeader(frame.track, ticksToMs(frame.dts));
      emit(this.cache.add(header.type, header.timestamp, header.payload));
    }
    const tag = flvFrameTag(frame);
    emit(this.cache.add(tag.type, tag.timestamp, tag.payload));
  }
}

/** MPEG-TS from frames: PAT/PMT at keyframes, one PES per frame. */
export class TsFrameOutput implements FrameOutput {
  readonly cache = new TsGopCache();
  private readonly muxer = new TsMuxer();

  push(frame: MediaFrame, tracks: StreamTracks, emit: (chunk: Buffer) => void): void {
    const packets = this.cache.add(this.muxer.mux(frame, tracks as { video?: Track; audio?: Track }));
    if (packets.length > 0) emit(packets);
  }
}
