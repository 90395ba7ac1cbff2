import { redactUrl } from "@liverelay/api";
import type { RelayTemplate } from "@liverelay/api";
import type { NewEvent } from "./outbox";

/** A template write as an event: the destination's stream key and query never leave the API. */
export function templateEvent(type: "relay_template.created" | "relay_template.updated" | "relay_template.deleted", t: RelayTemplate, at: Date): NewEvent {
  const data = {
    templateId: t.id,
    appName: t.appName,
    streamName: t.streamName,
    destination: redactUrl(t.destinationUrl),
    mode: t.mode,
    startTime: t.startTime,
    endTime: t.endTime,
    description: t.description,
  };
  return { domain: t.domain, type, occurredAt: at.toISOString(), data };
}
