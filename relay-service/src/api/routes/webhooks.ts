import crypto from "node:crypto";
import {
  DomainParams,
  ErrorBody,
  MAX_WEBHOOKS_PER_DOMAIN,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryParams,
  WebhookList,
  WebhookParams,
  WebhookSet,
} from "@liverelay/api";
import type { WebhookDispatcher } from "../../webhooks/dispatcher";
import type { DeliveryRecord, WebhookRecord, WebhookStore } from "../../webhooks/webhook-store";
import { urlProblem } from "../../webhooks/address-policy";
import { badRequest, notFound, quotaExceeded } from "../errors";
import { defineRoute, type Route } from "../route";

export interface WebhookRoutesDeps {
  store: WebhookStore;
  dispatcher: WebhookDispatcher;
  allowPrivate: boolean;
}

const errors = {
  400: { description: "Invalid request", schema: ErrorBody },
  401: { description: "Missing or invalid bearer token", schema: ErrorBody },
};
const missing = (what: string) => ({ 404: { description: `No such ${what}`, schema: ErrorBody } });

/** The secret is never part of a webhook as the API shows it, except in the one response that generated it. */
const toApi = (w: WebhookRecord, generatedSecret?: string): Webhook => ({
  id: w.id,
  domain: w.domain,
  url: w.url,
  events: w.events,
  description: w.description,
  enabled: w.enabled,
  createdAt: w.createdAt,
  updatedAt: w.updatedAt,
  ...(generatedSecret ? { secret: generatedSecret } : {}),
});

const toApiDelivery = (d: DeliveryRecord): WebhookDelivery => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt === null ? null : new Date(d.nextAttemptAt).toISOString(),
  createdAt: d.createdAt,
  recentAttempts: d.recentAttempts,
});

const generateSecret = () => `whsec_${crypto.randomBytes(24).toString("base64url")}`;

/** Webhooks of a domain and their deliveries. */
export function webhookRoutes(deps: WebhookRoutesDeps): Route[] {
  const base = "/v1/domains/:domain/webhooks";
  const common = { tag: "webhooks", auth: true } as const;
  const absent = (id: string) => notFound(`webhook ${id} does not exist in this domain`);
  const found = async (domain: string, id: string) => {
    const webhook = await deps.store.getWebhook(domain, id);
    if (!webhook) throw absent(id);
    return webhook;
  };

  return [
    defineRoute({
      ...common,
      method: "PUT",
      path: `${base}/:webhookId`,
      operationId: "putWebhook",
      summary: "Create or replace a webhook: matching events of the domain are POSTed to `url`, signed",
      params: WebhookParams,
      body: WebhookSet,
      responses: {
        200: { description: "Replaced", schema: Webhook },
        201: { description: "Created; `secret` is in this response only when it was generated", schema: Webhook },
        ...errors,
        409: { description: `The domain already has ${MAX_WEBHOOKS_PER_DOMAIN} webhooks (QuotaExceeded)`, schema: ErrorBody },
      },
      async handle({ params, body }) {
        const problem = await urlProblem(body.url, deps.allowPrivate);
        if (problem) throw badRequest(problem, "url");
        const existing = await deps.store.getWebhook(params.domain, params.webhookId);
        const generated = body.secret === undefined && !existing ? generateSecret() : undefined;
        const secret = body.secret ?? existing?.secret ?? generated!;
        const events = [...new Set(body.events)];
        const record = { domain: params.domain, id: params.webhookId, url: body.url, events, secret, description: body.description ?? null, enabled: body.enabled, updatedAt: new Date().toISOString() };
        const result = await deps.store.putWebhook(record, MAX_WEBHOOKS_PER_DOMAIN);
        if ("quotaExceeded" in result) throw quotaExceeded(`domain ${params.domain} already has ${MAX_WEBHOOKS_PER_DOMAIN} webhooks`);
        await deps.dispatcher.webhookChanged(params.domain, params.webhookId);
        return { status: result.created ? 201 : 200, body: toApi(result.webhook, generated) };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: base,
      operationId: "listWebhooks",
      summary: "List a domain's webhooks (secrets are never shown)",
      params: DomainParams,
      responses: { 200: { description: "The webhooks", schema: WebhookList }, ...errors },
      async handle({ params }) {
        return { status: 200, body: { items: (await deps.store.listWebhooks(params.domain)).map((w) => toApi(w)) } };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:webhookId`,
      operationId: "getWebhook",
      summary: "Get one webhook (its secret is never shown)",
      params: WebhookParams,
      responses: { 200: { description: "The webhook", schema: Webhook }, ...errors, ...missing("webhook") },
      async handle({ params }) {
        return { status: 200, body: toApi(await found(params.domain, params.webhookId)) };
      },
    }),
    defineRoute({
      ...common,
      method: "DELETE",
      path: `${base}/:webhookId`,
      operationId: "deleteWebhook",
      summary: "Delete a webhook and its delivery history",
      params: WebhookParams,
      responses: { 204: { description: "Deleted" }, ...errors, ...missing("webhook") },
      async handle({ params }) {
        if (!(await deps.store.deleteWebhook(params.domain, params.webhookId))) throw absent(params.webhookId);
        await deps.dispatcher.webhookChanged(params.domain, params.webhookId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:webhookId/deliveries`,
      operationId: "listWebhookDeliveries",
      summary: "The webhook's latest deliveries, newest first, with their recent attempts (status code, latency, error)",
      params: WebhookParams,
      responses: { 200: { description: "Deliveries", schema: WebhookDeliveryList }, ...errors, ...missing("webhook") },
      async handle({ params }) {
        await found(params.domain, params.webhookId);
        const items = await deps.store.listDeliveries(params.domain, params.webhookId, 100);
        return { status: 200, body: { items: items.map(toApiDelivery) } };
      },
    }),
    defineRoute({
      ...common,
      method: "POST",
      path: `${base}/:webhookId/deliveries/:deliveryId/retry`,
      operationId: "retryWebhookDelivery",
      summary: "Replay one delivery now (a pending one skips its backoff; a finished one is sent once more)",
      params: WebhookDeliveryParams,
      responses: { 202: { description: "Accepted: the attempt runs in the background; see the deliveries list", schema: WebhookDelivery }, ...errors, ...missing("delivery") },
      async handle({ params }) {
        const delivery = await deps.store.getDelivery(params.domain, params.webhookId, params.deliveryId);
        if (!delivery) throw notFound(`delivery ${params.deliveryId} does not exist for this webhook`);
        deps.dispatcher.retry(delivery);
        return { status: 202, body: toApiDelivery(delivery) };
      },
    }),
  ];
}
