import client from "prom-client";
import type { WebhookStore } from "../webhooks/webhook-store";
import type { DeliveryCounters } from "../webhooks/dispatcher";

/** Webhook deliveries and the outbox backlog. Labels are outcomes only: never a URL, domain or webhook id. */
export function registerWebhookMetrics(registry: client.Registry, deps: { store: WebhookStore; tailClients: () => number }): DeliveryCounters {
  const attempts = new client.Counter({
    name: "liverelay_webhook_attempts_total",
    help: "Webhook delivery attempts by outcome (success, http_error, timeout, network_error, blocked)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const deliveries = new client.Counter({
    name: "liverelay_webhook_deliveries_total",
    help: "Webhook deliveries finished, by outcome (delivered, gave_up)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  // While the store is unreachable the gauges keep their last value: /metrics still answers.
  const backlog = () => deps.store.webhookBacklog().catch(() => null);
  new client.Gauge({
    name: "liverelay_events_outbox_backlog",
    help: "Events not yet delivered, summed over enabled webhooks",
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b) this.set(b.events);
    },
  });
  new client.Gauge({
    name: "liverelay_events_oldest_undelivered_seconds",
    help: "Age of the oldest event an enabled webhook has not yet been delivered (0 when none)",
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b) this.set(b.oldestOccurredAt ? Math.max(0, (Date.now() - Date.parse(b.oldestOccurredAt)) / 1000) : 0);
    },
  });
  new client.Gauge({
    name: "liverelay_events_tail_clients",
    help: "Clients connected to the live tail (GET /v1/domains/{domain}/events)",
    registers: [registry],
    collect() {
      this.set(deps.tailClients());
    },
  });
  return { onAttempt: (outcome) => attempts.inc({ outcome }), onFinished: (outcome) => deliveries.inc({ outcome }) };
}
