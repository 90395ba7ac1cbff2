/**
 * The dynamic provider behind `RelayTemplate`.
 *
 * Pulumi serializes this object (and every function it reaches) into the `__provider` input
 * of each resource, and runs it in a separate provider process. Hence the rules this file
 * follows — break one and either serialization fails or a secret lands in the state:
 *
 * - Only `import type` at the top: the SDK (zod, axios) is `require`d *inside* the functions,
 *   at run time in the provider process, so no zod or axios instance is ever captured. The one
 *   exception is `./shared`, a module of plain functions bound to local names (see its comment).
 * - No exported `const` is referenced from a function (TypeScript rewrites those to
 *   `exports.x`, which would capture this whole module).
 * - Nothing mutable is captured: the connection settings (the token!) live on a process
 *   global set by `configure`, never on the provider object, so they cannot be serialized
 *   even when `configure` has run in the same process as the program (tests).
 */
import type { CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult } from "@pulumi/pulumi/dynamic";
import type { LiveRelayClient, RelayTemplate as ApiTemplate } from "@liverelay/sdk";
import * as shared from "./shared";

/** Plain (resolved) inputs of a relay template, as the provider receives them. */
export interface RelayTemplateInputs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the template. */
  domain: string;
  /** Application name (case-sensitive). Changing it replaces the template. */
  appName: string;
  /** Stream name (case-sensitive). Changing it replaces the template. */
  streamName: string;
  /** Complete ingest URL of the destination (holds the stream key). Always a secret in state. Changing it replaces the template. */
  destinationUrl: string;
  /** `always`, or `time` (then startTime and endTime are required). Updated in place. */
  mode: "always" | "time";
  /** RFC 3339 UTC, e.g. `2026-12-01T09:00:00Z` (mode `time` only). Updated in place. */
  startTime?: string;
  /** RFC 3339 UTC, later than startTime, window shorter than 7 days (mode `time` only). Updated in place. */
  endTime?: string;
  /** Free text, at most 1024 characters. Updated in place. */
  description?: string;
  /**
   * Take over an existing template with the same domain, appName, streamName and
   * destinationUrl instead of failing with 409 Conflict. Only consulted at create.
   */
  adopt?: boolean;
}

/** What the provider stores as the resource's outputs. */
export interface RelayTemplateOutputs extends RelayTemplateInputs {
  /** The service's template id (also the Pulumi resource id). */
  templateId: string;
  createdAt: string;
  updatedAt: string;
}

/** Inputs as they reach the provider: plus the hidden idempotency key set by `RelayTemplate`. */
export interface ProviderInputs extends RelayTemplateInputs {
  __idempotencyKey?: string;
}

const IDENTITY_FIELDS = ["domain", "appName", "streamName", "destinationUrl"] as const;
const MUTABLE_FIELDS = ["mode", "startTime", "endTime", "description"] as const;
/** Inputs whose values must never reach a diagnostic. */
const SECRET_INPUTS = ["destinationUrl"];
const TEMPLATE_FIELDS = ["appName", "streamName", "destinationUrl", "mode", "startTime", "endTime", "description"] as const;

// Bound to local names so that they are serialized by value, never as the module (see shared.ts).
const { client, configureConnection, errorStatus, isNotFound, isUnknown, present } = shared;

/** Canonical time when it parses, the value unchanged otherwise (check reports the problem). */
function canonical(v: unknown): unknown {
  if (typeof v !== "string" || isUnknown(v) || Number.isNaN(Date.parse(v))) return v;
  const { canonicalTime } = require("@liverelay/api") as typeof import("@liverelay/api");
  return canonicalTime(v);
}

/** Equality of two property values: absent and null are the same, times compare canonically. */
function same(field: string, a: unknown, b: unknown): boolean {
  if (!present(a) && !present(b)) return true;
  if (field === "startTime" || field === "endTime") return canonical(a) === canonical(b);
  return a === b;
}

/** The outputs of a template as the service returned it (JSON-clean: no undefined, no null). */
function outputsOf(t: ApiTemplate, adopt: unknown): RelayTemplateOutputs {
  const outs: RelayTemplateOutputs = {
    templateId: t.id,
    domain: t.domain,
    appName: t.appName,
    streamName: t.streamName,
    destinationUrl: t.destinationUrl,
    mode: t.mode,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
  if (t.startTime !== null) outs.startTime = t.startTime;
  if (t.endTime !== null) outs.endTime = t.endTime;
  if (t.description !== null) outs.description = t.description;
  if (typeof adopt === "boolean") outs.adopt = adopt;
  return outs;
}

/** The create body of the declared inputs. */
function createBody(news: ProviderInputs) {
  return {
    appName: news.appName,
    streamName: news.streamName,
    destinationUrl: news.destinationUrl,
    mode: news.mode,
    ...(present(news.startTime) ? { startTime: news.startTime } : {}),
    ...(present(news.endTime) ? { endTime: news.endTime } : {}),
    ...(present(news.description) ? { description: news.description } : {}),
  };
}

/** The PATCH that makes a template's schedule and description the declared ones. */
function patchBody(news: ProviderInputs) {
  return {
    mode: news.mode,
    startTime: present(news.startTime) ? news.startTime! : null,
    endTime: present(news.endTime) ? news.endTime! : null,
    description: present(news.description) ? news.description! : null,
  };
}

function scheduleDiffers(t: ApiTemplate, news: ProviderInputs): boolean {
  return MUTABLE_FIELDS.some((f) => !same(f, t[f], news[f]));
}

/** `live/keynote in shows.example.com` — never the destination URL (it holds the stream key). */
function label(p: Partial<RelayTemplateInputs>): string {
  return `${p.appName ?? "?"}/${p.streamName ?? "?"} in ${p.domain ?? "?"}`;
}

/** A readable diagnostic: the SDK's messages already read `409 Conflict: … (request req_x)` and hold no secrets. */
function failure(action: string, p: Partial<RelayTemplateInputs>, err: unknown, hint?: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`LiveRelay: ${action} relay template for ${label(p)} failed: ${message}${hint ? `. ${hint}` : ""}`);
}

/** An error that makes the engine record a created resource whose creation did not finish (no orphan). */
function partialCreate(message: string, t: ApiTemplate, adopt: unknown): Error {
  return Object.assign(new Error(message), { id: t.id, properties: outputsOf(t, adopt), reasons: [message] });
}

/** Reads an issue's first path segment as a Pulumi property name. */
function propertyOf(path: readonly PropertyKey[]): string {
  return path.length > 0 ? String(path[0]) : "";
}

/** Field-prefixed, readable reason for a zod issue (never echoes the value: destinationUrl holds the stream key). */
function reasonOf(property: string, issue: { code: string; message: string; input?: unknown }): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return `${property} is required`;
  if (issue.code === "invalid_type") return `${property} has the wrong type: ${issue.message.replace(/^Invalid input: /, "")}`;
  if (issue.code === "invalid_value" && property === "mode") return `mode must be "always" or "time"`;
  return issue.message.includes(property) ? issue.message : `${property} ${issue.message}`;
}

function validate(olds: Partial<ProviderInputs>, news: ProviderInputs): CheckFailure[] {
  const schemas = require("@liverelay/api") as typeof import("@liverelay/api");
  const failures: CheckFailure[] = [];
  const add = (property: string, reason: string) => {
    if (!failures.some((f) => f.property === property)) failures.push({ property, reason });
  };
  const input = news as unknown as Record<string, unknown>;

  if (!isUnknown(input.domain)) {
    if (input.domain === undefined) add("domain", "domain is required");
    else {
      const r = schemas.Domain.safeParse(input.domain);
      if (!r.success) for (const issue of r.error.issues) add("domain", reasonOf("domain", issue));
    }
  }

  // The service's own create schema, on the fields whose values are known.
  const body: Record<string, unknown> = {};
  for (const f of TEMPLATE_FIELDS) if (present(input[f]) && !isUnknown(input[f])) body[f] = input[f];
  const parsed = schemas.RelayTemplateCreate.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const property = propertyOf(issue.path);
      if (isUnknown(input[property])) continue;
      if (property === "") add("", issue.message);
      else add(property, reasonOf(property, issue as { code: string; message: string; input?: unknown }));
    }
  }

  if (present(input.adopt) && !isUnknown(input.adopt) && typeof input.adopt !== "boolean") add("adopt", "adopt must be a boolean");

  // The schedule rules (zod skips its refinement when a field is invalid; the rules themselves need known values).
  const schedule = { mode: input.mode, startTime: input.startTime, endTime: input.endTime };
  if (!Object.values(schedule).some(isUnknown) && (schedule.mode === "always" || schedule.mode === "time")) {
    const fieldsOk = (["startTime", "endTime"] as const).every((f) => !present(schedule[f]) || schemas.Timestamp.safeParse(schedule[f]).success);
    if (fieldsOk) {
      // "endTime must be later than now" only applies when the window is being written: a new template
      // (also a replacement) or a changed schedule. A stack whose window has passed stays quiet.
      const writing = !olds || olds.mode === undefined || IDENTITY_FIELDS.some((f) => !same(f, olds[f], input[f])) ||
        (["mode", "startTime", "endTime"] as const).some((f) => !same(f, olds[f], input[f]));
      const now = writing ? new Date() : undefined;
      const problems = schemas.windowProblems(
        { mode: schedule.mode, startTime: (schedule.startTime as string | undefined) ?? null, endTime: (schedule.endTime as string | undefined) ?? null },
        now,
      );
      for (const p of problems) add(p.field, p.message);
    }
  }
  // The engine (3.248) prints a failing property's VALUE next to the reason — even a secret, in
  // plaintext. destinationUrl holds the stream key, so its failures go without a property name
  // (the reason starts with "destinationUrl"); the engine then prints the reason only.
  return failures.map((f) => (SECRET_INPUTS.includes(f.property) ? { property: "", reason: f.reason } : f));
}

/** Finds the template with exactly this identity (the list filters are exact, but check anyway). */
async function findExisting(c: LiveRelayClient, news: ProviderInputs): Promise<ApiTemplate | undefined> {
  const filters = { appName: news.appName, streamName: news.streamName, destinationUrl: news.destinationUrl, limit: 200 };
  for await (const t of c.relayTemplates.listAll(news.domain, filters)) {
    if (t.appName === news.appName && t.streamName === news.streamName && t.destinationUrl === news.destinationUrl) return t;
  }
  return undefined;
}

/** Brings an adopted or replayed template's schedule to the declared one. */
async function converge(c: LiveRelayClient, t: ApiTemplate, news: ProviderInputs): Promise<ApiTemplate> {
  return scheduleDiffers(t, news) ? c.relayTemplates.update(news.domain, t.id, patchBody(news)) : t;
}

async function adoptExisting(c: LiveRelayClient, news: ProviderInputs): Promise<ApiTemplate | undefined> {
  const existing = await findExisting(c, news);
  return existing ? converge(c, existing, news) : undefined;
}

function randomNonce(): string {
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return crypto.randomUUID();
}

/** POST with the resource's idempotency key; a retry after a lost response returns the same template. */
async function post(c: LiveRelayClient, news: ProviderInputs, key: string | undefined): Promise<ApiTemplate> {
  return c.relayTemplates.create(news.domain, createBody(news), { idempotencyKey: key ?? randomNonce() });
}

/** The first step of create: POST (fresh key on a key reuse), or adopt on 409 when asked. Nothing to clean up when it throws. */
async function postOrAdopt(c: LiveRelayClient, news: ProviderInputs, baseKey: string | undefined): Promise<{ template: ApiTemplate; adopted: boolean }> {
  let last: unknown;
  try {
    return { template: await post(c, news, baseKey), adopted: false };
  } catch (err) {
    last = err;
  }
  if (errorStatus(last).status === 409 && errorStatus(last).field === "Idempotency-Key" && baseKey) {
    // The key was used within 24 h with another body (e.g. destroyed, edited, re-created): a fresh key.
    try {
      return { template: await post(c, news, `${baseKey}.${randomNonce()}`), adopted: false };
    } catch (err) {
      last = err;
    }
  }
  const { status, code } = errorStatus(last);
  if (status === 409 && code === "Conflict" && news.adopt === true) {
    const adopted = await adoptExisting(c, news);
    if (adopted) return { template: adopted, adopted: true };
  }
  throw last;
}

async function createTemplate(news: ProviderInputs): Promise<CreateResult<RelayTemplateOutputs>> {
  const c = client();
  const baseKey = typeof news.__idempotencyKey === "string" && !isUnknown(news.__idempotencyKey) ? news.__idempotencyKey : undefined;
  let created: ApiTemplate;
  try {
    const first = await postOrAdopt(c, news, baseKey);
    if (first.adopted) return { id: first.template.id, outs: outputsOf(first.template, news.adopt) };
    created = first.template;
  } catch (err) {
    const { status, code } = errorStatus(err);
    const hint =
      status === 409 && code === "Conflict"
        ? "Delete that template, or set `adopt: true` on the resource to take it over"
        : undefined;
    throw failure(news.adopt === true ? "creating or adopting" : "creating", news, err, hint);
  }

  // From here on the template exists remotely: any failure must report its id (a partial create), never orphan it.
  const partial = (err: unknown, t: ApiTemplate) => partialCreate(failure("finishing the creation of", news, err).message, t, news.adopt);
  let current: ApiTemplate;
  try {
    current = await c.relayTemplates.get(news.domain, created.id);
  } catch (err) {
    if (!isNotFound(err)) throw partial(err, created);
    // The service replays the FIRST response of a key for 24 h, even when that template was deleted
    // since (destroy, then up again): create a new one under a fresh key.
    try {
      current = await post(c, news, `${baseKey ?? "pulumi"}.${randomNonce()}`);
    } catch (again) {
      throw failure("creating", news, again);
    }
  }
  try {
    // A replayed response can be older than the template (patched since): make it the declared one.
    current = await converge(c, current, news);
  } catch (err) {
    throw partial(err, current);
  }
  return { id: current.id, outs: outputsOf(current, news.adopt) };
}

/**
 * The provider object. Kept free of captured state: see the file comment.
 */
export const relayTemplateProvider: ResourceProvider<ProviderInputs, RelayTemplateOutputs> = {
  async configure(req: ConfigureRequest): Promise<void> {
    configureConnection(req);
  },

  async check(olds: ProviderInputs, news: ProviderInputs): Promise<CheckResult<ProviderInputs>> {
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(news ?? {})) if (present(v)) inputs[k] = v;
    const failures = validate(olds ?? {}, inputs as unknown as ProviderInputs);
    // `…:00Z` and `…:00.000Z` are the same instant: store the canonical form so they never diff.
    for (const f of ["startTime", "endTime"] as const) {
      if (!failures.some((x) => x.property === f) && typeof inputs[f] === "string") inputs[f] = canonical(inputs[f]);
    }
    return { inputs: inputs as unknown as ProviderInputs, failures };
  },

  async diff(_id: string, olds: RelayTemplateOutputs, news: ProviderInputs): Promise<DiffResult> {
    const o = olds as unknown as Record<string, unknown>;
    const n = news as unknown as Record<string, unknown>;
    const differs = (f: string) => isUnknown(n[f]) || !same(f, o[f], n[f]);
    const replaces = IDENTITY_FIELDS.filter(differs);
    const updates = MUTABLE_FIELDS.filter(differs);
    return {
      changes: replaces.length > 0 || updates.length > 0,
      replaces,
      // A replacement forced with the identity unchanged (`--replace`, `replaceOnChanges`) must free the
      // identity first: the service allows one template per stream and destination. A changed identity
      // is created before the old one is deleted (no gap in the relay).
      deleteBeforeReplace: replaces.length === 0,
    };
  },

  async create(news: ProviderInputs): Promise<CreateResult<RelayTemplateOutputs>> {
    return createTemplate(news);
  },

  async read(id: string, props?: RelayTemplateOutputs): Promise<ReadResult<RelayTemplateOutputs>> {
    const domain = props?.domain;
    if (!domain) throw new Error(`LiveRelay: cannot read relay template ${id}: its domain is not in the state`);
    const c = client();
    try {
      const t = await c.relayTemplates.get(domain, id);
      return { id: t.id, props: outputsOf(t, props?.adopt) };
    } catch (err) {
      // Deleted out of band: a blank id makes the engine drop the resource from the state.
      if (isNotFound(err)) return { id: "" };
      throw failure("reading", props ?? {}, err);
    }
  },

  async update(id: string, olds: RelayTemplateOutputs, news: ProviderInputs): Promise<UpdateResult<RelayTemplateOutputs>> {
    const c = client();
    try {
      const t = await c.relayTemplates.update(olds.domain, id, patchBody(news));
      return { outs: outputsOf(t, news.adopt) };
    } catch (err) {
      const hint = isNotFound(err) ? "It was deleted outside Pulumi: run `pulumi refresh`, then `pulumi up` to create it again" : undefined;
      throw failure("updating", olds, err, hint);
    }
  },

  async delete(id: string, props: RelayTemplateOutputs): Promise<void> {
    const c = client();
    try {
      await c.relayTemplates.delete(props.domain, id);
    } catch (err) {
      if (isNotFound(err)) return; // already gone (deleted out of band, or a retried DELETE that had worked)
      throw failure("deleting", props, err);
    }
  },
};
