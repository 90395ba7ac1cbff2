import { flvFileHeader, flvTag, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, parseOnMetaData, type FlvTagType, type OnMetaData } from "../media/flv";

/** What the streams API reports about a stream's media; null when the container does not say. */
export interface MediaInfo {
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
}

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

  /** Media facts from onMetaData, when the encoder sent it. */
  mediaInfo(): MediaInfo {
    const m = this.metadata ?? {};
    return {
      videoCodec: codecName(m.videocodecid, VIDEO_CODECS),
      audioCodec: codecName(m.audiocodecid, AUDIO_CODECS),
      width: typeof m.width === "number" ? Math.round(m.width) : null,
      height: typeof m.height === "number" ? Math.round(m.height) : null,
    };
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

const VIDEO_CODECS: Record<string, string> = { "7": "h264", "12": "hevc", "13": "av1", hvc1: "hevc", av01: "av1", vp09: "vp9", avc1: "h264", "2": "h263", "4": "vp6" };
const AUDIO_CODECS: Record<string, string> = { "10": "aac", "2": "mp3", "11": "speex", mp4a: "aac", Opus: "opus", ".mp3": "mp3", "ac-3": "ac3" };

/** onMetaData codec ids are numbers (7 = AVC) or FourCCs, as numbers or strings (Enhanced RTMP). */
function codecName(id: unknown, names: Record<string, string>): string | null {
  if (typeof id === "string") return names[id] ?? id;
  if (typeof id !== "number") return null;
  if (names[String(id)]) return names[String(id)];
  if (id > 0xffffff) return fourCc(id, names);
  return `codec-${id}`;
}

function fourCc(n: number, names: Record<string, string>): string {
  const s = String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  return names[s] ?? s;
}
