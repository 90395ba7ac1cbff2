import { z } from "zod";
import { DomainParams, ErrorBody } from "@liverelay/api";
import { seqOfEventId } from "../../events/outbox";
import type { LiveTail } from "../../events/live-tail";
import { ApiProblem, badRequest } from "../errors";
import { defineRoute, type Route } from "../route";

const EVENT_ID = /^evt_\d{1,15}$/;
const EventStreamQuery = z.strictObject({
  after: z.string().regex(EVENT_ID, "after must be an event id such as evt_000000000042").optional().meta({ description: "Resume after this event id (what `Last-Event-ID` does on reconnection)" }),
});

/** `GET /v1/domains/{domain}/events`: the live tail, as Server-Sent Events. */
export function eventRoutes(deps: { tail: LiveTail }): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/domains/:domain/events",
      operationId: "streamEvents",
      summary: "The domain's events as Server-Sent Events (text/event-stream); resumes after `Last-Event-ID` (or `?after=`) from the outbox",
      tag: "events",
      auth: true,
      params: DomainParams,
      query: EventStreamQuery,
      // Empty counts as absent (what EventSource sends before it has seen an id).
      headers: [{ name: "Last-Event-ID", pattern: "^(evt_\\d{1,15})?$", description: "Resume after this event id: every later event of the domain still in the outbox (24 h) is sent first; empty: from now" }],
      responses: {
        200: { description: "An endless text/event-stream: `id`, `event` (the type) and `data` (the event as JSON) per event; a comment line every 15 s" },
        400: { description: "Malformed Last-Event-ID", schema: ErrorBody },
        401: { description: "Missing or invalid bearer token", schema: ErrorBody },
        429: { description: "Too many live-tail clients (RateLimited)", schema: ErrorBody },
      },
      async handle({ params, query, req, res }) {
        const header = req.headers["last-event-id"];
        const resumeFrom = (typeof header === "string" && header !== "" ? header : undefined) ?? query.after;
        const after = resumeFrom === undefined ? undefined : seqOfEventId(resumeFrom);
        if (after === null) throw badRequest("Last-Event-ID must be an event id such as evt_000000000042", "Last-Event-ID");
        const closed = deps.tail.open(params.domain, after, res);
        if (!closed) throw new ApiProblem(429, "RateLimited", "too many live-tail clients; try again later", undefined, { "retry-after": "5" });
        await closed;
        return { status: 200 };
      },
    }),
  ];
}
