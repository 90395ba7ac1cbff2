import { z } from "zod";
import { Domain } from "./common";
import { RelayState } from "./relays";
import { ProcessingKind, ProcessingState, WorkerError } from "./processing";

// The domain events: what happened in a domain, as webhooks deliver them and the live tail streams them.
// Wire shape of every event: {id, type, domain, occurredAt, data}. Nothing here ever holds a secret:
// destination URLs appear redacted, ingest refusals carry a reason code only.

const StreamRef = { appName: z.string(), streamName: z.string() };
const Protocol = z.enum(["rtmp", "srt"]);
const RelayError = z.object({ code: z.string(), message: z.string(), at: z.string() });

/** A relay template as events describe it: the destination URL with its stream key and query redacted. */
const TemplateSummary = z.object({
  templateId: z.string(),
  ...StreamRef,
  destination: z.string().meta({ description: "The destination URL, redacted (stream key and secret query values hidden)" }),
  mode: z.enum(["always", "time"]),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  description: z.string().nullable(),
});

/** Every event type and its `data`: the single table the union, the webhook filter and the SDK's types come from. */
export const EVENT_DATA = {
  "stream.started": z.object({ ...StreamRef, protocol: Protocol }),
  "stream.ended": z.object({ ...StreamRef, protocol: Protocol, durationSeconds: z.number() }),
  "relay.state_changed": z.object({ templateId: z.string(), ...StreamRef, from: RelayState, to: RelayState, lastError: RelayError.nullable() }),
  "processing.state_changed": z.object({
    workerId: z.string().meta({ description: "The worker's id in `GET …/processing`" }),
    kind: ProcessingKind,
    templateId: z.string().nullable().meta({ description: "A transcoder's template; null for the other kinds" }),
    ...StreamRef,
    from: ProcessingState.nullable().meta({ description: "null when the worker first appears (its stream went live, or its config was set)" }),
    to: ProcessingState,
    lastError: WorkerError.nullable(),
  }),
  "recording.started": z.object({ recordingId: z.string(), ...StreamRef, format: z.enum(["mp4", "flv", "hls"]), startedAt: z.string() }),
  "recording.completed": z.object({
    recordingId: z.string(),
    ...StreamRef,
    format: z.enum(["mp4", "flv", "hls"]),
    startedAt: z.string(),
    endedAt: z.string(),
    durationSeconds: z.number(),
    bytes: z.number().int(),
  }),
  "snapshot.updated": z.object({ ...StreamRef, takenAt: z.string() }),
  "relay_template.created": TemplateSummary,
  "relay_template.updated": TemplateSummary,
  "relay_template.deleted": TemplateSummary,
  "ingest.rejected": z.object({
    ...StreamRef,
    protocol: Protocol,
    reason: z.enum(["Unauthorized", "Conflict"]).meta({ description: "Unauthorized: ingest auth failed; Conflict: the stream is already live" }),
    detail: z.string().meta({ description: "Why, without secrets (e.g. `auth_key expired`)" }),
    remoteAddress: z.string(),
    suppressed: z.number().int().meta({ description: "Refusals of the same stream and reason not reported since the previous event (rate limit)" }),
  }),
} as const;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];
export const EventTypeName = z.enum(EVENT_TYPES as [EventType, ...EventType[]]).meta({ id: "EventType" });

export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;

const eventOf = <T extends EventType>(type: T) =>
  z.object({ id: z.string(), type: z.literal(type), domain: Domain, occurredAt: z.string(), data: EVENT_DATA[type] as (typeof EVENT_DATA)[T] });

/** One event, typed by its `type`. */
export const DomainEvent = z
  .discriminatedUnion(
    "type",
    EVENT_TYPES.map((t) => eventOf(t)) as unknown as [ReturnType<typeof eventOf<EventType>>, ...ReturnType<typeof eventOf<EventType>>[]],
  )
  .meta({ id: "DomainEvent", description: "`id` is unique and increases with time within a domain (use it to de-duplicate at-least-once deliveries)" });
export type DomainEvent = { [T in EventType]: { id: string; type: T; domain: string; occurredAt: string; data: EventData<T> } }[EventType];
/** The event of one type, e.g. `EventOf<"stream.started">`. */
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;
