import type { StreamHub } from "../hub/stream-hub";
import type { EventSink } from "./event-bus";

/** stream.started / stream.ended, emitted synchronously from the hub's own publish and unpublish. */
export function emitHubEvents(hub: StreamHub, events: EventSink): void {
  hub.on("stream-start", (s) => events.emit(s.key.domain, "stream.started", { appName: s.key.appName, streamName: s.key.streamName, protocol: s.protocol }));
  hub.on("stream-end", (s) => {
    const durationSeconds = Math.round((Date.now() - s.startedAt.getTime()) / 100) / 10;
    events.emit(s.key.domain, "stream.ended", { appName: s.key.appName, streamName: s.key.streamName, protocol: s.protocol, durationSeconds });
  });
}
