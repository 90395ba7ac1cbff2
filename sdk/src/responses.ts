/* eslint-disable @typescript-eslint/no-empty-object-type -- an interface that only extends an inferred type gives it a name in editors and declarations */
/**
 * The SDK's view of the API's responses: the contract's schemas (@liverelay/api) made
 * - discriminated, where a field decides the others (a template's `mode`, a relay's `state`), and
 * - forward-compatible, where a newer service may send a value this SDK does not know (a relay
 *   state, a stream protocol, a recording format): typed as the known values plus `string & {}`,
 *   so editors still offer the known ones, and a response carrying a new one still validates.
 * Each type is a named interface, so that editors show `TimeRelayTemplate`, not its fields.
 */
import * as api from "@liverelay/api";
import { z } from "zod";

/** `Known | (string & {})`: any string at run time, the known values offered by editors. */
export type Open<Known extends string> = Known | (string & {});

const open = <Known extends string>(known: z.ZodType<Known>): z.ZodType<Open<Known>> => z.union([known, z.string()]);

// ---- relay templates ----------------------------------------------------------------

const templateCommon = api.RelayTemplate.omit({ mode: true, startTime: true, endTime: true });
const AlwaysRelayTemplateSchema = templateCommon.extend({ mode: z.literal("always"), startTime: z.null(), endTime: z.null() });
const TimeRelayTemplateSchema = templateCommon.extend({ mode: z.literal("time"), startTime: z.string(), endTime: z.string() });

/** Relays whenever its stream is live: no window (`startTime`, `endTime` are null). */
export interface AlwaysRelayTemplate extends z.infer<typeof AlwaysRelayTemplateSchema> {}
/** Relays only between `startTime` and `endTime` (RFC 3339 UTC). */
export interface TimeRelayTemplate extends z.infer<typeof TimeRelayTemplateSchema> {}
/** A relay template; `mode` tells which: `if (t.mode === "time") t.startTime` is a string. */
export type RelayTemplate = AlwaysRelayTemplate | TimeRelayTemplate;
export const RelayTemplate: z.ZodType<RelayTemplate> = z.discriminatedUnion("mode", [AlwaysRelayTemplateSchema, TimeRelayTemplateSchema]).meta({ id: "RelayTemplate" });

export interface RelayTemplateList {
  items: RelayTemplate[];
  nextCursor: string | null;
}
export const RelayTemplateList: z.ZodType<RelayTemplateList> = z.object({ items: z.array(RelayTemplate), nextCursor: z.string().nullable() }).meta({ id: "RelayTemplateList" });

// ---- relay status ---------------------------------------------------------------------

/** The states this SDK knows. */
export type KnownRelayState = api.RelayState;
/** A relay's state: one of the known ones, or one a newer service added. */
export type RelayState = Open<KnownRelayState>;
export const RelayState: z.ZodType<RelayState> = open(api.RelayState);
const KNOWN_STATES: ReadonlySet<string> = new Set(api.RelayState.options);
/** True for the states this SDK knows (narrows a state to KnownRelayState). */
export const isKnownRelayState = (state: string): state is KnownRelayState => KNOWN_STATES.has(state);

const RelayErrorSchema = api.RelayStatus.shape.lastError.unwrap();
/** Why the relay last failed. */
export interface RelayError extends z.infer<typeof RelayErrorSchema> {}

const statusCommon = api.RelayStatus.omit({ state: true, lastError: true });
const ErrorRelayStatusSchema = statusCommon.extend({ state: z.literal("error"), lastError: RelayErrorSchema });
const OtherRelayStatusSchema = statusCommon.extend({ state: api.RelayState.exclude(["error"]), lastError: RelayErrorSchema.optional() });
const UnknownRelayStatusSchema = statusCommon.extend({
  state: z.string().refine((s) => !isKnownRelayState(s), "a known state must match its own shape"),
  lastError: RelayErrorSchema.optional(),
});

/** Gave up until the source or the template changes: `lastError` says why. */
export interface ErrorRelayStatus extends z.infer<typeof ErrorRelayStatusSchema> {}
/** Any other known state: inactive, waiting, starting, relaying, retrying. */
export interface OtherRelayStatus extends z.infer<typeof OtherRelayStatusSchema> {}
/** A state added by a newer service than this SDK knows. */
export interface UnknownRelayStatus extends Omit<z.infer<typeof UnknownRelayStatusSchema>, "state"> {
  state: string & {};
}
export type KnownRelayStatus = ErrorRelayStatus | OtherRelayStatus;
/**
 * What a relay is doing. A state this SDK does not know still validates, so `state` alone does
 * not narrow: check `isKnownRelayStatus(s)` first, then `s.state === "error"` gives `lastError`.
 */
export type RelayStatus = KnownRelayStatus | UnknownRelayStatus;
export const RelayStatus: z.ZodType<RelayStatus> = z
  .union([ErrorRelayStatusSchema, OtherRelayStatusSchema, UnknownRelayStatusSchema])
  .meta({ id: "RelayStatus" });
/** True when the status's state is one this SDK knows (then `state` narrows the rest). */
export const isKnownRelayStatus = (status: RelayStatus): status is KnownRelayStatus => isKnownRelayState(status.state);

export interface RelayStatusList {
  items: RelayStatus[];
}
export const RelayStatusList: z.ZodType<RelayStatusList> = z.object({ items: z.array(RelayStatus) }).meta({ id: "RelayStatusList" });

// ---- live streams, recordings ---------------------------------------------------------------

const LiveStreamSchema = api.LiveStream.extend({ protocol: open(api.LiveStream.shape.protocol) });
/** A stream being published; `protocol` is `rtmp` or `srt` (or one a newer service added). */
export interface LiveStream extends z.infer<typeof LiveStreamSchema> {}
export const LiveStream: z.ZodType<LiveStream> = LiveStreamSchema.meta({ id: "LiveStream" });
export interface LiveStreamList {
  items: LiveStream[];
}
export const LiveStreamList: z.ZodType<LiveStreamList> = z.object({ items: z.array(LiveStream) }).meta({ id: "LiveStreamList" });

const RecordingSchema = api.Recording.extend({ format: open(api.RecordingFormat) });
/** A recording; `format` is `mp4`, `flv`, `hls`, or one a newer service added. */
export interface Recording extends z.infer<typeof RecordingSchema> {}
export const Recording: z.ZodType<Recording> = RecordingSchema.meta({ id: "Recording" });
export interface RecordingList {
  items: Recording[];
  nextCursor: string | null;
}
export const RecordingList: z.ZodType<RecordingList> = z.object({ items: z.array(Recording), nextCursor: z.string().nullable() }).meta({ id: "RecordingList" });
