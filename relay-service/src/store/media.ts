import type { RecordingConfig, RecordingFormat, SnapshotConfig, TranscodeTemplate } from "@liverelay/api";

/** What a transcode template asks for, as the API validated it (defaults applied). */
export type TranscodeSpec = Pick<TranscodeTemplate, "appName" | "video" | "audio">;

/** One recording file (mp4/flv segment) or playlist (hls), as the index keeps it. */
export interface RecordingRecord {
  id: string;
  domain: string;
  appName: string;
  streamName: string;
  format: RecordingFormat;
  /** Relative to the recordings directory; for hls, the playlist. */
  path: string;
  startedAt: string;
  /** null while the recorder is writing it (or after a crash, until the start-up recovery). */
  endedAt: string | null;
  durationSeconds: number | null;
  bytes: number;
  /** The node writing it: only that node closes it after a crash (its files are in that node's data dir). */
  nodeId: string;
}

export interface RecordingFilter {
  appName?: string;
  streamName?: string;
}

export interface RecordingPage {
  items: RecordingRecord[];
  lastId: string | null;
}

export type RecordingEnd = Pick<RecordingRecord, "endedAt" | "durationSeconds" | "bytes">;

/** The media-processing part of the Store: transcode templates, per-app snapshot and recording configs, the recording index. */
export interface MediaStore {
  /** Creates or replaces; `created` tells which. */
  putTranscodeTemplate(domain: string, id: string, spec: TranscodeSpec, now: Date): Promise<{ template: TranscodeTemplate; created: boolean }>;
  getTranscodeTemplate(domain: string, id: string): Promise<TranscodeTemplate | null>;
  listTranscodeTemplates(domain: string): Promise<TranscodeTemplate[]>;
  listAllTranscodeTemplates(): Promise<TranscodeTemplate[]>;
  deleteTranscodeTemplate(domain: string, id: string): Promise<boolean>;

  setSnapshotConfig(config: SnapshotConfig): Promise<void>;
  getSnapshotConfig(domain: string, appName: string): Promise<SnapshotConfig | null>;
  listAllSnapshotConfigs(): Promise<SnapshotConfig[]>;
  deleteSnapshotConfig(domain: string, appName: string): Promise<boolean>;

  setRecordingConfig(config: RecordingConfig): Promise<void>;
  getRecordingConfig(domain: string, appName: string): Promise<RecordingConfig | null>;
  listAllRecordingConfigs(): Promise<RecordingConfig[]>;
  deleteRecordingConfig(domain: string, appName: string): Promise<boolean>;

  addRecording(record: RecordingRecord): Promise<void>;
  /** Records how a recording ended; false when it was deleted meanwhile. */
  finishRecording(id: string, end: RecordingEnd): Promise<boolean>;
  getRecording(domain: string, id: string): Promise<RecordingRecord | null>;
  listRecordings(domain: string, filter: RecordingFilter, page: { limit: number; afterId?: string }): Promise<RecordingPage>;
  /**
   * Recordings `nodeId` never finished: what its crash left behind, fixed up when it starts again.
   * Another node's open recordings are not listed (that node may still be writing them).
   */
  listUnfinishedRecordings(nodeId: string): Promise<RecordingRecord[]>;
  deleteRecording(domain: string, id: string): Promise<boolean>;
}
