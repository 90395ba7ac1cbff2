import { z } from "zod";
import { Domain } from "./common";
import { EVENT_TYPES, EventTypeName } from "./events";

export const MAX_WEBHOOKS_PER_DOMAIN = 20;

export const WebhookId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "webhookId must be 1-64 letters, digits, '_' or '-'")
  .meta({ description: "Webhook id, chosen by the caller", example: "ops-chat" });

const WebhookUrl = z
  .string()
  .max(2048, "url must be at most 2048 characters")
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && !u.username && !u.password;
    } catch {
      return false;
    }
  }, "url must be an http:// or https:// URL without credentials")
  .meta({ description: "Where events are POSTed. Treated as a secret: never logged", example: "https://hooks.example.com/liverelay" });

export const WebhookEvents = z
  .array(z.union([z.literal("*"), EventTypeName]))
  .min(1, "events must name at least one event type, or be [\"*\"]")
  .max(EVENT_TYPES.length + 1)
  .meta({ description: "Event types to deliver, or `[\"*\"]` for every type" });

export const WebhookSet = z
  .strictObject({
    url: WebhookUrl,
    events: WebhookEvents,
    secret: z
      .string()
      .min(16, "secret must be at least 16 characters")
      .max(256, "secret must be at most 256 characters")
      .regex(/^[\x21-\x7e]+$/, "secret must be visible ASCII characters")
      .optional()
      .meta({ description: "HMAC-SHA256 signing secret. Omitted on creation: one is generated and returned once. Omitted on update: unchanged" }),
    description: z.string().max(500, "description must be at most 500 characters").nullable().optional(),
    enabled: z.boolean().default(true),
  })
  .meta({ id: "WebhookSet" });
export type WebhookSet = z.input<typeof WebhookSet>;

export const Webhook = z
  .object({
    id: z.string(),
    domain: Domain,
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    secret: z.string().optional().meta({ description: "Only in the response that generated it: store it now, it is never shown again" }),
  })
  .meta({ id: "Webhook" });
export type Webhook = z.infer<typeof Webhook>;

export const WebhookList = z.object({ items: z.array(Webhook) }).meta({ id: "WebhookList" });
export type WebhookList = z.infer<typeof WebhookList>;

export const WebhookAttempt = z
  .object({
    at: z.string(),
    statusCode: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when no response came" }),
    latencyMs: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: "WebhookAttempt" });
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const WebhookDelivery = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]).meta({ description: "`failed`: gave up (24 h after the event) — retry replays it" }),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    recentAttempts: z.array(WebhookAttempt).meta({ description: "The latest attempts, newest last" }),
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery) }).meta({ id: "WebhookDeliveryList" });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

export const WebhookParams = z.strictObject({ domain: Domain, webhookId: WebhookId });
export const WebhookDeliveryParams = z.strictObject({ domain: Domain, webhookId: WebhookId, deliveryId: z.string().min(1).max(64) });
