import { z } from "zod";
import { AppName, Cursor, Domain, StreamName, Timestamp } from "./common";
import { DestinationUrl } from "./destination-url";

export const MAX_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
export const RelayMode = z.enum(["always", "time"]).meta({
  description: "`always`: relay whenever the stream is live; `time`: only between startTime and endTime",
});
export type RelayMode = z.infer<typeof RelayMode>;

const Description = z.string().max(1024, "description must be at most 1024 characters");

const ProtocolConversion = z.boolean().meta({
  description:
    "Relay to a destination whose protocol differs from the ingest's (SRT ingest to rtmp:// or rtmps://, RTMP ingest to srt://), converting the container (FLV ↔ MPEG-TS; H.264, HEVC and AAC). Off: such a relay is `error/ProtocolMismatch`.",
});

export interface RelayWindow {
  mode: RelayMode;
  startTime?: string | null;
  endTime?: string | null;
}

export interface WindowProblem {
  field: "startTime" | "endTime" | "mode";
  message: string;
}

/**
 * The schedule rules of a template, separate from the field formats so that the service
 * (at write time) and the Pulumi provider (only when the times change) apply the same code.
 * `now` is given only where "endTime must be in the future" applies.
 */
export function windowProblems(w: RelayWindow, now?: Date): WindowProblem[] {
  if (w.mode === "always") {
    const extra = (["startTime", "endTime"] as const).filter((f) => w[f] != null);
    return extra.map((field) => ({ field, message: `${field} is not allowed when mode is "always"` }));
  }
  const missing = (["startTime", "endTime"] as const).filter((f) => w[f] == null);
  if (missing.length > 0) return missing.map((field) => ({ field, message: `${field} is required when mode is "time"` }));
  const start = Date.parse(w.startTime!);
  const end = Date.parse(w.endTime!);
  if (end <= start) return [{ field: "endTime", message: "endTime must be later than startTime" }];
  if (end - start >= MAX_WINDOW_MS) return [{ field: "endTime", message: "the window from startTime to endTime must be shorter than 7 days" }];
  if (now && end <= now.getTime()) return [{ field: "endTime", message: "endTime must be later than the current time" }];
  return [];
}

const WINDOW_RULES =
  'mode "time" needs startTime and endTime with startTime < endTime, a window shorter than 7 days and endTime in the future; mode "always" takes neither.';

function addWindowIssues(w: RelayWindow, ctx: z.RefinementCtx) {
  for (const p of windowProblems(w)) ctx.addIssue({ code: "custom", path: [p.field], message: p.message });
}

export const RelayTemplateCreate = z
  .strictObject({
    appName: AppName,
    streamName: StreamName,
    destinationUrl: DestinationUrl,
    mode: RelayMode,
    startTime: Timestamp.nullish(),
    endTime: Timestamp.nullish(),
    description: Description.nullish(),
    protocolConversion: ProtocolConversion.optional(),
  })
  .superRefine(addWindowIssues)
  .meta({
    id: "RelayTemplateCreate",
    description: `${WINDOW_RULES} A rule JSON Schema cannot compare (x-window-rules) is answered with 400 naming the field.`,
    // The mode rule in JSON Schema terms; the comparisons between times are in x-window-rules.
    if: { properties: { mode: { const: "time" } }, required: ["mode"] },
    then: { required: ["startTime", "endTime"], properties: { startTime: { type: "string" }, endTime: { type: "string" } } },
    else: { properties: { startTime: { type: "null" }, endTime: { type: "null" } } },
    "x-window-rules": ["startTime < endTime", "endTime - startTime < 7 days", "endTime > now"],
  });
export type RelayTemplateCreate = z.input<typeof RelayTemplateCreate>;

/** The fields that form a template's identity: changing one means a new template. */
export const IMMUTABLE_TEMPLATE_FIELDS = ["domain", "appName", "streamName", "destinationUrl"] as const;

export const RelayTemplatePatch = z
  .strictObject({
    mode: RelayMode.optional(),
    startTime: Timestamp.nullish(),
    endTime: Timestamp.nullish(),
    description: Description.nullish(),
    protocolConversion: ProtocolConversion.optional(),
  })
  .meta({
    id: "RelayTemplatePatch",
    description: `Only the schedule, description and protocolConversion may change; the identity fields are immutable. The template as patched must follow the window rules: ${WINDOW_RULES}`,
    "x-window-rules": ["startTime < endTime", "endTime - startTime < 7 days", "endTime > now (when a time changes)"],
  });
export type RelayTemplatePatch = z.input<typeof RelayTemplatePatch>;

export const RelayTemplate = z
  .object({
    id: z.string(),
    domain: Domain,
    appName: z.string(),
    streamName: z.string(),
    destinationUrl: z.string(),
    mode: RelayMode,
    startTime: z.string().nullable(),
    endTime: z.string().nullable(),
    description: z.string().nullable(),
    // A default, so a client reading an older service (or a store row from before it) still parses.
    protocolConversion: z.boolean().default(false),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "RelayTemplate" });
export type RelayTemplate = z.infer<typeof RelayTemplate>;

export const RelayTemplateListQuery = z.strictObject({
  appName: AppName.optional(),
  streamName: StreamName.optional(),
  destinationUrl: z.string().max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: Cursor.optional(),
});
export type RelayTemplateListQuery = z.input<typeof RelayTemplateListQuery>;

export const RelayTemplateList = z
  .object({ items: z.array(RelayTemplate), nextCursor: z.string().nullable() })
  .meta({ id: "RelayTemplateList" });
export type RelayTemplateList = z.infer<typeof RelayTemplateList>;

export const Quota = z
  .object({ destinationUrls: z.object({ used: z.number().int(), limit: z.number().int() }) })
  .meta({ id: "Quota" });
export type Quota = z.infer<typeof Quota>;

export const DomainParams = z.strictObject({ domain: Domain });
export const TemplateParams = z.strictObject({ domain: Domain, id: z.string().min(1).max(64) });
