/**
 * A reader of a live stream: a relay worker, later a recorder, snapshotter or transcoder.
 * It receives one container byte stream (FLV for RTMP ingest, MPEG-TS for SRT) that starts
 * at a keyframe. Its queue is bounded: `queuedBytes()` over the hub's limit gets it dropped
 * (close "overflow") so a slow reader never slows the publisher or the other readers.
 */
export interface Subscriber {
  readonly name: string;
  write(chunk: Buffer): void;
  queuedBytes(): number;
  close(reason: "ended" | "overflow"): void;
}
