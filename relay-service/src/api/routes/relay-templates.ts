import crypto from "node:crypto";
import {
  DomainParams,
  IMMUTABLE_TEMPLATE_FIELDS,
  Quota,
  RelayTemplate,
  RelayTemplateCreate,
  RelayTemplateList,
  RelayTemplateListQuery,
  RelayTemplatePatch,
  TemplateParams,
  windowProblems,
  type RelayWindow,
} from "@liverelay/api";
import { ErrorBody } from "@liverelay/api";
import type { z } from "zod";
import type { Store, TemplateFields } from "../../store/store";
import { decodeCursor, encodeCursor } from "../cursor";
import { badRequest, conflict, immutableField, notFound, quotaExceeded, relayLoop } from "../errors";
import { defineRoute, type Reply, type Route } from "../route";

/** A template as it would be stored, for the loop check (`id` when it exists already). */
export type TemplateCandidate = Pick<RelayTemplate, "domain" | "appName" | "streamName" | "destinationUrl" | "mode" | "startTime" | "endTime"> & { id?: string };

/** What a successful write did, so the relay supervisor can act on that template alone. */
export type TemplateChangeEvent = { upserted: RelayTemplate } | { removed: string };

export interface TemplateRoutesDeps {
  store: Store;
  maxDestinationsPerDomain: number;
  /** Told after every successful write, so relays start and stop within the second. */
  onChange?: (change: TemplateChangeEvent) => void;
  /**
   * The templates a candidate would close a relay loop with (a → b → a through this service's
   * own ingest), or null. `isSelfIngest` is the cheap test that decides whether to ask at all.
   */
  loops?: { isSelfIngest: (destinationUrl: string) => boolean; closedBy: (candidate: TemplateCandidate) => Promise<RelayTemplate[] | null> };
  now?: () => Date;
}

const errors = {
  400: { description: "Invalid request (code BadRequest or ImmutableField)", schema: ErrorBody },
  401: { description: "Missing or invalid bearer token", schema: ErrorBody },
};
const base = "/v1/domains/:domain/relay-templates";

/** The schedule rules that depend on the clock, applied to the template as it will be stored. */
function assertWindow(window: RelayWindow, now: Date) {
  const [problem] = windowProblems(window, now);
  if (problem) throw badRequest(problem.message, problem.field);
}

function requestHash(body: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

const streamOf = (t: Pick<RelayTemplate, "domain" | "appName" | "streamName">) => `${t.domain}/${t.appName}/${t.streamName}`;

/** Names the loop: the streams it goes through and the templates that make it. */
function loopMessage(candidate: TemplateCandidate, path: RelayTemplate[]): string {
  const streams = [candidate, ...path].map(streamOf).concat(streamOf(candidate)).join(" → ");
  const ids = path.map((t) => t.id);
  const others = ids.length ? `; with relay template${ids.length > 1 ? "s" : ""} ${ids.join(", ")}` : " (it relays into its own source)";
  return `this template would close a relay loop through this service's own ingest: ${streams}${others}`;
}

export function relayTemplateRoutes(deps: TemplateRoutesDeps): Route[] {
  const now = deps.now ?? (() => new Date());
  // A loop check and the write it guards run one at a time, so two writes can never each close
  // half of a loop unseen. Only self-ingest destinations can be part of a loop, so only they wait.
  let loopWrites: Promise<unknown> = Promise.resolve();
  const guardLoops = <T>(candidate: TemplateCandidate, write: () => Promise<T>): Promise<T> => {
    const loops = deps.loops;
    if (!loops || !loops.isSelfIngest(candidate.destinationUrl)) return write();
    const run = loopWrites.then(async () => {
      const path = await loops.closedBy(candidate);
      if (path) throw relayLoop(loopMessage(candidate, path));
      return write();
    });
    loopWrites = run.catch(() => undefined);
    return run;
  };
  const templateNotFound = (id: string) => notFound(`relay template ${id} does not exist in this domain`);

  const create = defineRoute({
    method: "POST",
    path: base,
    operationId: "createRelayTemplate",
    summary: "Create a relay template (one destination for one stream)",
    tag: "relay-templates",
    auth: true,
    params: DomainParams,
    body: RelayTemplateCreate,
    headers: [{ name: "Idempotency-Key", description: "Retries with the same key and body within 24 h return the first response and create nothing" }],
    responses: {
      201: { description: "Created", schema: RelayTemplate },
      ...errors,
      409: { description: "Duplicate destination (Conflict), quota reached (QuotaExceeded), Idempotency-Key reused with another body, or a relay loop through this service's own ingest (RelayLoop)", schema: ErrorBody },
    },
    async handle({ params, body, req }): Promise<Reply> {
      const at = now();
      const fields: TemplateFields = {
        appName: body.appName,
        streamName: body.streamName,
        destinationUrl: body.destinationUrl,
        mode: body.mode,
        startTime: body.startTime ?? null,
        endTime: body.endTime ?? null,
        description: body.description ?? null,
        protocolConversion: body.protocolConversion ?? false,
      };
      const key = req.headers["idempotency-key"];
      if (key !== undefined && (typeof key !== "string" || !/^[\x21-\x7e]{1,255}$/.test(key))) {
        throw badRequest("Idempotency-Key must be 1-255 visible ASCII characters", "Idempotency-Key");
      }
      assertWindow(fields, at);
      const idempotency = key ? { key, requestHash: requestHash(fields) } : undefined;
      const result = await guardLoops({ domain: params.domain, ...fields }, () =>
        deps.store.createRelayTemplate({ domain: params.domain, fields, maxPerDomain: deps.maxDestinationsPerDomain, idempotency, now: at }),
      );
      switch (result.kind) {
        case "created":
          deps.onChange?.({ upserted: result.template });
          return { status: 201, body: result.template, headers: { location: `/v1/domains/${params.domain}/relay-templates/${result.template.id}` } };
        case "replayed":
          return { status: 201, body: result.template, headers: { location: `/v1/domains/${params.domain}/relay-templates/${result.template.id}`, "idempotent-replayed": "true" } };
        case "duplicate":
          throw conflict("a relay template for this stream and destination already exists in this domain", "destinationUrl");
        case "quota-exceeded":
          throw quotaExceeded(`domain ${params.domain} already has ${result.used} of ${result.limit} destination URLs`);
        case "idempotency-mismatch":
          throw conflict("Idempotency-Key was already used with a different request body", "Idempotency-Key");
      }
    },
  });

  const list = defineRoute({
    method: "GET",
    path: base,
    operationId: "listRelayTemplates",
    summary: "List relay templates, filtered and paginated",
    tag: "relay-templates",
    auth: true,
    params: DomainParams,
    query: RelayTemplateListQuery,
    responses: { 200: { description: "A page of templates", schema: RelayTemplateList }, ...errors },
    async handle({ params, query }) {
      const { limit, cursor, ...filter } = query;
      const page = await deps.store.listRelayTemplates(params.domain, filter, { limit, afterId: cursor ? decodeCursor(cursor) : undefined });
      return { status: 200, body: { items: page.items, nextCursor: page.lastId ? encodeCursor(page.lastId) : null } };
    },
  });

  const get = defineRoute({
    method: "GET",
    path: `${base}/:id`,
    operationId: "getRelayTemplate",
    summary: "Get one relay template",
    tag: "relay-templates",
    auth: true,
    params: TemplateParams,
    responses: { 200: { description: "The template", schema: RelayTemplate }, ...errors, 404: { description: "No such template in this domain", schema: ErrorBody } },
    async handle({ params }) {
      const template = await deps.store.getRelayTemplate(params.domain, params.id);
      if (!template) throw templateNotFound(params.id);
      return { status: 200, body: template };
    },
  });

  const update = defineRoute({
    method: "PATCH",
    path: `${base}/:id`,
    operationId: "updateRelayTemplate",
    summary: "Change a template's schedule, description or protocolConversion",
    tag: "relay-templates",
    auth: true,
    params: TemplateParams,
    body: RelayTemplatePatch,
    beforeValidation: rejectImmutableFields,
    responses: {
      200: { description: "The updated template", schema: RelayTemplate },
      ...errors,
      404: { description: "No such template in this domain", schema: ErrorBody },
      409: { description: "The new window would let it close a relay loop with other templates (RelayLoop)", schema: ErrorBody },
    },
    async handle({ params, body }) {
      const patch = body;
      const at = now();
      const before = await deps.store.getRelayTemplate(params.domain, params.id);
      if (!before) throw templateNotFound(params.id);
      const updated = await guardLoops({ ...before, ...mergePatch(before, patch) }, () =>
        deps.store.updateRelayTemplate(
          params.domain,
          params.id,
          (current) => {
            const next = mergePatch(current, patch);
            const [problem] = windowProblems(next);
            if (problem) throw badRequest(problem.message, problem.field);
            if (timesChanged(current, next)) assertWindow(next, at);
            return next;
          },
          at,
        ),
      );
      if (!updated) throw templateNotFound(params.id);
      deps.onChange?.({ upserted: updated });
      return { status: 200, body: updated };
    },
  });

  const remove = defineRoute({
    method: "DELETE",
    path: `${base}/:id`,
    operationId: "deleteRelayTemplate",
    summary: "Delete a relay template (its relay stops)",
    tag: "relay-templates",
    auth: true,
    params: TemplateParams,
    responses: { 204: { description: "Deleted" }, ...errors, 404: { description: "No such template in this domain", schema: ErrorBody } },
    async handle({ params }) {
      if (!(await deps.store.deleteRelayTemplate(params.domain, params.id))) throw templateNotFound(params.id);
      deps.onChange?.({ removed: params.id });
      return { status: 204 };
    },
  });

  const quota = defineRoute({
    method: "GET",
    path: "/v1/domains/:domain/quota",
    operationId: "getQuota",
    summary: "Destination URLs used and allowed in a domain",
    tag: "quota",
    auth: true,
    params: DomainParams,
    responses: { 200: { description: "Usage and limit", schema: Quota }, ...errors },
    async handle({ params }) {
      const used = await deps.store.countRelayTemplates(params.domain);
      return { status: 200, body: { destinationUrls: { used, limit: deps.maxDestinationsPerDomain } } };
    },
  });

  return [create, list, get, update, remove, quota];
}

type Patch = z.output<typeof RelayTemplatePatch>;

/** Identity fields get their own error code, before the generic "unknown field": clients must replace, not edit. */
function rejectImmutableFields(body: unknown): void {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const touched = IMMUTABLE_TEMPLATE_FIELDS.find((f) => f in body);
    if (touched) throw immutableField(touched);
  }
}

/** Switching to `always` clears the window unless the patch sets one (which is then refused). */
function mergePatch(current: RelayTemplate, patch: Patch) {
  const mode = patch.mode ?? current.mode;
  const keepTimes = mode === "time";
  return {
    mode,
    startTime: patch.startTime !== undefined ? patch.startTime : keepTimes ? current.startTime : null,
    endTime: patch.endTime !== undefined ? patch.endTime : keepTimes ? current.endTime : null,
    description: patch.description !== undefined ? patch.description : current.description,
    protocolConversion: patch.protocolConversion ?? current.protocolConversion,
  };
}

const timesChanged = (a: RelayWindow, b: RelayWindow) => a.mode !== b.mode || a.startTime !== b.startTime || a.endTime !== b.endTime;
