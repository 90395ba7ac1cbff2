import { EventEmitter } from "node:events";
import { LiveStream, streamKeyString, type IngestProtocol, type StreamKey } from "./live-stream";

export interface StreamHubEvents {
  "stream-start": [LiveStream];
  "stream-end": [LiveStream];
  "subscriber-overflow": [LiveStream, string];
}

/**
 * Every live stream, by (domain, appName, streamName). Protocol servers publish into it;
 * workers subscribe to its streams; the scheduler listens to its start/end events.
 */
export class StreamHub extends EventEmitter<StreamHubEvents> {
  private readonly streams = new Map<string, LiveStream>();

  /** Claims a stream for a publisher; null when it is already live (the first publisher keeps it). */
  publish(key: StreamKey, protocol: IngestProtocol): LiveStream | null {
    const id = streamKeyString(key);
    if (this.streams.has(id)) return null;
    const stream = new LiveStream(key, protocol, (s) => this.emit("subscriber-overflow", stream, s.name));
    this.streams.set(id, stream);
    this.emit("stream-start", stream);
    return stream;
  }

  /** Ends a publication; only the stream object that holds the key can end it. */
  unpublish(stream: LiveStream): void {
    const id = streamKeyString(stream.key);
    if (this.streams.get(id) !== stream) return;
    this.streams.delete(id);
    stream.end();
    this.emit("stream-end", stream);
  }

  get(key: StreamKey): LiveStream | undefined {
    return this.streams.get(streamKeyString(key));
  }

  isLive(key: StreamKey): boolean {
    return this.streams.has(streamKeyString(key));
  }

  list(domain?: string): LiveStream[] {
    return [...this.streams.values()].filter((s) => domain === undefined || s.key.domain === domain);
  }

  /** Ends every stream (service shutdown). */
  closeAll(): void {
    for (const s of [...this.streams.values()]) this.unpublish(s);
  }
}
