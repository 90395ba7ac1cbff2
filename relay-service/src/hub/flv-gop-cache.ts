import { flvFileHeader, flvTag, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, parseOnMetaData, type FlvTagType, type OnMetaData } from "./flv";

/** Upper bound of the cached GOP; a longer GOP is not cached (new readers then wait for the next keyframe). */
export const MAX_GOP_BYTES = 24 * 1024 * 1024;

/**
 * What a reader joining mid-stream needs to decode from its first byte: FLV header,
 * onMetaData, the codec sequence headers and the tags since the last keyframe.
 */
export class FlvGopCache {
  metadata: OnMetaData | null = null;
  private metadataTag: Buffer | null = null;
  private videoHeader: Buffer | null = null;
  private audioHeader: Buffer | null = null;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private sawVideo = false;
  private sawAudio = false;
  private gopOpen = false;

  /** Frames one tag and updates the cache; returns the framed tag to broadcast. */
  add(type: FlvTagType, timestamp: number, payload: Buffer): Buffer {
    const tag = flvTag(type, timestamp, payload);
    if (type === 18) {
      const meta = parseOnMetaData(payload);
      if (meta) {
        this.metadata = meta;
        this.metadataTag = tag;
      }
    } else if (type === 9) {
      this.sawVideo = true;
      if (isVideoSequenceHeader(payload)) this.videoHeader = tag;
      else if (isVideoKeyframe(payload)) this.startGop(tag);
      else this.appendGop(tag);
    } else {
      this.sawAudio = true;
      if (isAudioSequenceHeader(payload)) this.audioHeader = tag;
      else this.appendGop(tag);
    }
    return tag;
  }

  /** The bytes a new reader gets before the live tags. */
  snapshot(): Buffer[] {
    const head = [flvFileHeader({ audio: this.sawAudio || this.metadata?.audiocodecid != null, video: this.expectsVideo })];
    for (const tag of [this.metadataTag, this.videoHeader, this.audioHeader]) if (tag) head.push(tag);
    return [...head, ...this.gop];
  }

  /** A reader may join once it can start decoding: at a keyframe, or at the first audio of an audio-only stream. */
  get joinable(): boolean {
    return this.gopOpen || (this.sawAudio && !this.expectsVideo);
  }

  private get expectsVideo(): boolean {
    return this.sawVideo || this.metadata?.videocodecid != null;
  }

  get bytes(): number {
    return this.gopBytes;
  }

  private startGop(tag: Buffer) {
    this.gop = [tag];
    this.gopBytes = tag.length;
    this.gopOpen = true;
  }

  private appendGop(tag: Buffer) {
    if (!this.gopOpen && this.sawVideo) return;
    if (this.gopBytes + tag.length > MAX_GOP_BYTES) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopOpen = false;
      return;
    }
    this.gop.push(tag);
    this.gopBytes += tag.length;
    if (!this.sawVideo && this.gop.length > 200) this.gopBytes -= this.gop.shift()!.length; // audio-only: keep a short tail
  }
}
