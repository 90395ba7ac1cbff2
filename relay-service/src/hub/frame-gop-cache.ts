import type { MediaFrame, Track } from "../media/frame";
import { MAX_GOP_BYTES } from "./flv-gop-cache";

/** Audio-only streams keep this many frames (≈ 4 s of AAC) for a reader to start from. */
const AUDIO_ONLY_TAIL = 200;

export interface StreamTracks {
  video?: Track;
  audio?: Track;
}

/**
 * The container-neutral start of a stream: its current tracks and the access units since the
 * last video keyframe (the last few seconds of audio when there is no video). An output in a
 * container the publisher did not use starts from here.
 */
export class FrameGopCache {
  readonly tracks: StreamTracks = {};
  private gop: MediaFrame[] = [];
  private gopBytes = 0;
  private gopOpen = false;

  add(frame: MediaFrame): void {
    this.tracks[frame.track.kind] = frame.track;
    if (frame.track.kind === "video" && frame.keyframe) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopOpen = true;
    } else if (!this.gopOpen && this.tracks.video) {
      return; // video without a keyframe yet: nothing to start from
    }
    if (this.gopBytes + frame.data.length > MAX_GOP_BYTES) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopOpen = false;
      return;
    }
    this.gop.push(frame);
    this.gopBytes += frame.data.length;
    if (!this.tracks.video && this.gop.length > AUDIO_ONLY_TAIL) this.gopBytes -= this.gop.shift()!.data.length;
  }

  frames(): readonly MediaFrame[] {
    return this.gop;
  }
}
