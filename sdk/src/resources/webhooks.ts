import { segment, type RequestOptions, type Transport } from "../http";
import { Webhook, WebhookDelivery, WebhookDeliveryList, WebhookList, type WebhookSet } from "@liverelay/api";

const hooksPath = (domain: string) => `/v1/domains/${segment(domain, "domain")}/webhooks`;
const hookPath = (domain: string, id: string) => `${hooksPath(domain)}/${segment(id, "webhookId")}`;

/**
 * `client.webhooks`: where a domain's events are POSTed, signed (check deliveries with
 * `verifyWebhookSignature`). A generated secret is in the `put` result that created the webhook, and never again.
 */
export class Webhooks {
  constructor(private readonly http: Transport) {}

  /** Creates or replaces `webhookId`. Without `secret`, a new webhook gets a generated one (in the result: keep it), an existing one keeps its own. */
  async put(domain: string, webhookId: string, input: WebhookSet, options?: RequestOptions): Promise<Webhook> {
    return this.http.json(Webhook, { ...options, method: "PUT", path: hookPath(domain, webhookId), body: input });
  }

  async get(domain: string, webhookId: string, options?: RequestOptions): Promise<Webhook> {
    return this.http.json(Webhook, { ...options, method: "GET", path: hookPath(domain, webhookId) });
  }

  async list(domain: string, options?: RequestOptions): Promise<WebhookList> {
    return this.http.json(WebhookList, { ...options, method: "GET", path: hooksPath(domain) });
  }

  async delete(domain: string, webhookId: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: hookPath(domain, webhookId) });
  }

  /** The latest deliveries, newest first, each with its recent attempts (status code, latency, error). */
  async deliveries(domain: string, webhookId: string, options?: RequestOptions): Promise<WebhookDelivery[]> {
    return (await this.http.json(WebhookDeliveryList, { ...options, method: "GET", path: `${hookPath(domain, webhookId)}/deliveries` })).items;
  }

  /** Replays one delivery now (in the background: follow it with `deliveries`). */
  async retryDelivery(domain: string, webhookId: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    const path = `${hookPath(domain, webhookId)}/deliveries/${segment(deliveryId, "deliveryId")}/retry`;
    return this.http.json(WebhookDelivery, { ...options, method: "POST", path });
  }
}
