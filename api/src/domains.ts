import { z } from "zod";
import { Domain } from "./common";

/** A domain the service knows: it has configuration (templates, ingest settings, media configs) or a live stream. */
export const DomainSummary = z
  .object({
    domain: Domain,
    relayTemplates: z.number().int().meta({ description: "Relay templates of the domain" }),
    liveStreams: z.number().int().meta({ description: "Streams live in the domain now" }),
  })
  .meta({ id: "DomainSummary" });
export type DomainSummary = z.infer<typeof DomainSummary>;

export const DomainList = z.object({ items: z.array(DomainSummary) }).meta({ id: "DomainList", description: "Every known domain, sorted by name" });
export type DomainList = z.infer<typeof DomainList>;
