/**
 * The dynamic provider behind `RelayTemplate`: the implementation the shim in the state
 * (`resource.ts`) loads from the installed package, in the dynamic-provider process.
 *
 * Hidden inputs, set by `RelayTemplate` and by `check` (see docs/pulumi.md):
 * - `__idempotencyKey`: the key of this resource's next create. New resources start from a key
 *   derived from the URN and the identity; every `check` of an existing resource moves it on
 *   (sha256 of the previous one), so a replacement never replays the create of what it replaces,
 *   while a run that crashed and is run again computes the same key and gets the same template.
 * - `__keepsIdentity`: the resource exists with the same identity on the same service, so a create
 *   for it (a replacement by `replaceOnChanges`) competes with the template it replaces.
 * - `__createFirst`: the `deleteBeforeReplace: false` option. A replacement forced with `--replace`
 *   reaches `check` without the old state, so nothing tells its create from a first create: with
 *   this flag set, a create that meets a live template with the same identity refuses instead of
 *   taking it (it would be the template being replaced).
 * - `__replaceOnChanges`: the resource option, which the engine cannot apply for a dynamic
 *   provider (it needs the changed keys, which dynamic providers do not report).
 * - `endpoint`: the service the resource lives on (recorded at `check`, not secret).
 */
import type { CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult } from "@pulumi/pulumi/dynamic";
import type { LiveRelayClient, RelayTemplate as ApiTemplate } from "@liverelay/sdk";
import * as schemas from "@liverelay/api";
import { claimsOfDeployment, client, configureConnection, configuredEndpoint, digest, elsewhereHint, errorStatus, isNotFound, isUnknown, present } from "./shared";

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
  /** Relay across protocols (SRT ingest → rtmp(s) destination, RTMP ingest → srt), converting the container; default false. Updated in place. */
  protocolConversion?: boolean;
  /**
   * Take over an existing template with the same domain, appName, streamName and
   * destinationUrl instead of failing with 409 Conflict. Only consulted at create.
   */
  adopt?: boolean;
}

/** What the provider stores as the resource's outputs. */
export interface RelayTemplateOutputs extends ProviderInputs {
  /** The service's template id (also the Pulumi resource id). */
  templateId: string;
  createdAt: string;
  updatedAt: string;
}

/** Inputs as they reach the provider: plus the hidden ones (see the file comment). */
export interface ProviderInputs extends RelayTemplateInputs {
  /** The service the resource lives on: recorded by `check`. */
  endpoint?: string;
  __idempotencyKey?: string;
  __keepsIdentity?: boolean;
  __createFirst?: boolean;
  __replaceOnChanges?: string[];
}

const IDENTITY_FIELDS = ["domain", "appName", "streamName", "destinationUrl"] as const;
const MUTABLE_FIELDS = ["mode", "startTime", "endTime", "description", "protocolConversion"] as const;
/** Inputs whose values must never reach a diagnostic. */
const SECRET_INPUTS = ["destinationUrl"];
const TEMPLATE_FIELDS = ["appName", "streamName", "destinationUrl", "mode", "startTime", "endTime", "description", "protocolConversion"] as const;
/** Inputs the provider keeps in the outputs too, so that `read` can give the inputs back. */
const HIDDEN_INPUTS = ["endpoint", "__idempotencyKey", "__keepsIdentity", "__createFirst", "__replaceOnChanges", "adopt"] as const;

/** Canonical time when it parses, the value unchanged otherwise (check reports the problem). */
function canonical(v: unknown): unknown {
  if (typeof v !== "string" || isUnknown(v) || Number.isNaN(Date.parse(v))) return v;
  return schemas.canonicalTime(v);
}

/** Equality of two property values: absent and null are the same, times compare canonically. */
function same(field: string, a: unknown, b: unknown): boolean {
  if (!present(a) && !present(b)) return true;
  if (field === "startTime" || field === "endTime") return canonical(a) === canonical(b);
  if (field === "protocolConversion") return (a === true) === (b === true); // absent is the service's false
  return a === b;
}

/** The outputs of a template as the service returned it (JSON-clean: no undefined, no null), with the hidden inputs of `p`. */
function outputsOf(t: ApiTemplate, p: Partial<ProviderInputs>): RelayTemplateOutputs {
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
  if (t.protocolConversion) outs.protocolConversion = true;
  const hidden = outs as unknown as Record<string, unknown>;
  for (const f of HIDDEN_INPUTS) if (present(p[f]) && !isUnknown(p[f])) hidden[f] = p[f];
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
    ...(news.protocolConversion === true ? { protocolConversion: true } : {}),
  };
}

/** The PATCH that makes a template's schedule and description the declared ones. */
function patchBody(news: ProviderInputs) {
  return {
    mode: news.mode,
    startTime: present(news.startTime) ? news.startTime! : null,
    endTime: present(news.endTime) ? news.endTime! : null,
    description: present(news.description) ? news.description! : null,
    protocolConversion: news.protocolConversion === true,
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
function partialCreate(message: string, t: ApiTemplate, news: ProviderInputs): Error {
  return Object.assign(new Error(message), { id: t.id, properties: outputsOf(t, news), reasons: [message] });
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

/** The key that follows `key` for a reason (`next` run, a `deleted` template, another `body`): deterministic, so a re-run takes the same path. */
function successor(key: string, ...why: string[]): string {
  return `pulumi-${digest(key, ...why)}`;
}

/** Where a template lives, as claims and deletes name it: `<endpoint> <id>`. */
function refOf(endpoint: unknown, id: string): string {
  return `${typeof endpoint === "string" ? endpoint : configuredEndpoint() ?? ""} ${id}`;
}

/** At most this many keys are tried in one create (each one a template created and deleted since, or a body changed since). */
const MAX_KEYS = 16;

/**
 * POSTs under the resource's key until the answer is a template that exists: the service replays
 * a key's first response for 24 h, also when that template has been deleted since (destroy, then
 * up again) — then the key's successor for that dead template is tried, and so on. Every step is
 * deterministic, so a run killed after its POST and run again arrives at the same template.
 * Undefined on 409 Conflict (another template holds the identity).
 */
async function postUntilLive(c: LiveRelayClient, news: ProviderInputs): Promise<{ template?: ApiTemplate; conflict?: unknown }> {
  const startedAt = Date.now() - 1000;
  const body = createBody(news);
  let key = typeof news.__idempotencyKey === "string" && !isUnknown(news.__idempotencyKey) ? news.__idempotencyKey : successor(digest(String(Math.random()), String(Date.now())));
  for (let i = 0; i < MAX_KEYS; i++) {
    let posted: ApiTemplate;
    try {
      posted = await c.relayTemplates.create(news.domain, body, { idempotencyKey: key });
    } catch (err) {
      const { status, code, field } = errorStatus(err);
      if (status === 409 && field === "Idempotency-Key") {
        key = successor(key, "body", digest(JSON.stringify(body)));
        continue;
      }
      if (status === 409 && code === "Conflict") return { conflict: err };
      throw failure("creating", news, err);
    }
    let live: ApiTemplate;
    try {
      live = await c.relayTemplates.get(news.domain, posted.id);
    } catch (err) {
      if (!isNotFound(err)) throw partialCreate(failure("finishing the creation of", news, err).message, posted, news);
      key = successor(key, "deleted", posted.id);
      continue;
    }
    // A replayed template that is alive, met by a create that must not take one: see `__createFirst`.
    if (news.__createFirst === true && news.adopt !== true && Date.parse(live.createdAt) < startedAt) {
      throw failure("creating", news, new Error(`relay template ${live.id} already holds this stream and destination`), CREATE_FIRST_HINT);
    }
    return { template: live };
  }
  throw failure("creating", news, new Error(`${MAX_KEYS} idempotency keys in a row replayed deleted templates`));
}

/** What a create refused for `deleteBeforeReplace: false` says. */
const CREATE_FIRST_HINT =
  "With `deleteBeforeReplace: false` a replacement that keeps the stream and destination cannot be created (one template per stream and destination): remove `deleteBeforeReplace: false`. If that template was made by an interrupted earlier run of this resource, `adopt: true` takes it over";

/** 409 Conflict: adopt the template that holds the identity when asked, else a readable refusal. */
async function adoptOrRefuse(c: LiveRelayClient, news: ProviderInputs, conflict: unknown): Promise<ApiTemplate> {
  if (news.__keepsIdentity === true) {
    // A forced replacement created before the old one is deleted: the conflicting template is the one being replaced.
    throw failure(
      "creating the replacement of",
      news,
      conflict,
      "The template it replaces still holds this stream and destination (one template per stream and destination), so a replacement that keeps them must delete first: remove `deleteBeforeReplace: false`",
    );
  }
  if (news.adopt !== true) {
    throw failure("creating", news, conflict, news.__createFirst === true ? CREATE_FIRST_HINT : "Delete that template, or set `adopt: true` on the resource to take it over");
  }
  let existing: ApiTemplate | undefined;
  try {
    existing = await findExisting(c, news);
  } catch (err) {
    throw failure("adopting", news, err);
  }
  if (existing && managedHere()[refOf(news.endpoint, existing.id)] !== undefined) {
    throw failure("adopting", news, new Error(`relay template ${existing.id} is managed by another resource of this stack`), "One template can belong to one resource: remove one of the two declarations");
  }
  try {
    if (existing) return await converge(c, existing, news);
  } catch (err) {
    throw failure("adopting", news, err);
  }
  throw failure("creating or adopting", news, conflict);
}

async function createTemplate(news: ProviderInputs): Promise<CreateResult<RelayTemplateOutputs>> {
  const c = client(news.endpoint);
  const first = await postUntilLive(c, news);
  let current = first.template ?? (await adoptOrRefuse(c, news, first.conflict));
  if (first.template) {
    try {
      // A replayed response can be older than the template (patched since): make it the declared one.
      current = await converge(c, current, news);
    } catch (err) {
      throw partialCreate(failure("finishing the creation of", news, err).message, current, news);
    }
  }
  claims()[refOf(news.endpoint, current.id)] = news.__idempotencyKey ?? "";
  return { id: current.id, outs: outputsOf(current, news) };
}

/** Which resource of this deployment (by its key) created or adopted each template: see `delete`. */
function claims(): Record<string, string> {
  return claimsOfDeployment("RelayTemplate");
}

/** The templates that resources of this deployment already manage (their diff ran), by the key of each. */
function managedHere(): Record<string, string> {
  return claimsOfDeployment("RelayTemplate:managed");
}

/** The inputs that describe the template `outs` holds: what `read` hands back, so that drift shows per property. */
function inputsOf(outs: RelayTemplateOutputs): ProviderInputs {
  const { templateId: _id, createdAt: _c, updatedAt: _u, ...inputs } = outs;
  return inputs;
}

/**
 * The provider object.
 */
export const relayTemplateProvider: ResourceProvider<ProviderInputs, RelayTemplateOutputs> = {
  async configure(req: ConfigureRequest): Promise<void> {
    configureConnection(req);
  },

  async check(olds: ProviderInputs, news: ProviderInputs): Promise<CheckResult<ProviderInputs>> {
    const old = (olds ?? {}) as ProviderInputs;
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(news ?? {})) if (present(v)) inputs[k] = v;
    const failures = validate(old, inputs as unknown as ProviderInputs);
    // `…:00Z` and `…:00.000Z` are the same instant: store the canonical form so they never diff.
    for (const f of ["startTime", "endTime"] as const) {
      if (!failures.some((x) => x.property === f) && typeof inputs[f] === "string") inputs[f] = canonical(inputs[f]);
    }
    const endpoint = configuredEndpoint() ?? old.endpoint;
    if (endpoint) inputs.endpoint = endpoint;
    // The next create's key follows the last one: a replacement never replays what it replaces.
    if (typeof old.__idempotencyKey === "string" && !isUnknown(old.__idempotencyKey)) inputs.__idempotencyKey = successor(old.__idempotencyKey, "next");
    const keeps = IDENTITY_FIELDS.every((f) => present(old[f]) && same(f, old[f], inputs[f])) && (!old.endpoint || old.endpoint === inputs.endpoint);
    if (keeps) inputs.__keepsIdentity = true;
    else delete inputs.__keepsIdentity;
    return { inputs: inputs as unknown as ProviderInputs, failures };
  },

  async diff(id: string, olds: RelayTemplateOutputs, news: ProviderInputs): Promise<DiffResult> {
    // Two resources of one stack holding one template (one of them adopted it in this deployment):
    // a later delete of either would pull it from under the other.
    const ref = refOf(olds.endpoint, id);
    const holder = claims()[ref];
    if (holder !== undefined && holder !== (olds.__idempotencyKey ?? "")) {
      throw new Error(
        `LiveRelay: relay template ${id} for ${label(olds)} was adopted by another resource of this stack in this run; one template can belong to one resource: remove the adopting one from the program and from the state (\`pulumi state delete <its urn>\`), else deleting either one deletes the template of both`,
      );
    }
    managedHere()[ref] = olds.__idempotencyKey ?? "";
    const o = olds as unknown as Record<string, unknown>;
    const n = news as unknown as Record<string, unknown>;
    const differs = (f: string) => isUnknown(n[f]) || !same(f, o[f], n[f]);
    const replaces: string[] = IDENTITY_FIELDS.filter(differs);
    // Another service: the template cannot move, a new one is made there. (No endpoint recorded: a state from before 0.2.)
    if (present(o.endpoint) && present(n.endpoint) && differs("endpoint")) replaces.push("endpoint");
    const replaceOn = Array.isArray(n.__replaceOnChanges) ? (n.__replaceOnChanges as unknown[]).map(String) : [];
    const updates = MUTABLE_FIELDS.filter(differs);
    for (const f of updates) if (replaceOn.includes(f) || replaceOn.includes("*")) replaces.push(f);
    // A state written by a provider older than the shim: one update moves its outputs to the shim.
    const oldProvider = typeof o.__provider === "string" && typeof n.__provider === "string" && o.__provider !== n.__provider;
    return {
      changes: replaces.length > 0 || updates.length > 0 || oldProvider,
      replaces,
      // A replacement that keeps the identity on the same service must free it first (one template per
      // stream and destination). The resource option, which RelayTemplate always sets, takes precedence.
      deleteBeforeReplace: !replaces.some((f) => (IDENTITY_FIELDS as readonly string[]).includes(f) || f === "endpoint"),
    };
  },

  async create(news: ProviderInputs): Promise<CreateResult<RelayTemplateOutputs>> {
    return createTemplate(news);
  },

  async read(id: string, props?: RelayTemplateOutputs): Promise<ReadResult<RelayTemplateOutputs>> {
    const domain = props?.domain;
    if (!domain) throw new Error(`LiveRelay: cannot read relay template ${id}: its domain is not known (RelayTemplate.get(name, id, { domain }))`);
    const c = client(props.endpoint);
    try {
      const t = await c.relayTemplates.get(domain, id);
      const outs = outputsOf(t, { ...props, endpoint: props.endpoint ?? configuredEndpoint() });
      return { id: t.id, props: outs, inputs: inputsOf(outs) as RelayTemplateOutputs };
    } catch (err) {
      // Deleted out of band: a blank id makes the engine drop the resource from the state.
      if (isNotFound(err)) return { id: "" };
      throw failure("reading", props, err, elsewhereHint(props.endpoint));
    }
  },

  async update(id: string, olds: RelayTemplateOutputs, news: ProviderInputs): Promise<UpdateResult<RelayTemplateOutputs>> {
    const c = client(olds.endpoint);
    try {
      const changed = MUTABLE_FIELDS.some((f) => !same(f, olds[f], news[f]));
      const t = changed ? await c.relayTemplates.update(olds.domain, id, patchBody(news)) : await c.relayTemplates.get(olds.domain, id);
      return { outs: outputsOf(t, { ...news, endpoint: olds.endpoint ?? news.endpoint }) };
    } catch (err) {
      const hint = isNotFound(err) ? "It was deleted outside Pulumi: run `pulumi refresh`, then `pulumi up` to create it again" : elsewhereHint(olds.endpoint);
      throw failure("updating", olds, err, hint);
    }
  },

  async delete(id: string, props: RelayTemplateOutputs): Promise<void> {
    // A resource of this deployment created or adopted this very template (a rename followed by
    // `adopt: true`, a forced replacement that adopted it): it is theirs now, deleting it would leave
    // their state pointing at nothing. (No resource is both created and deleted in one deployment.)
    if (claims()[refOf(props.endpoint, id)] !== undefined) return;
    const c = client(props.endpoint);
    try {
      await c.relayTemplates.delete(props.domain, id);
    } catch (err) {
      if (isNotFound(err)) return; // already gone (deleted out of band, or a retried DELETE that had worked)
      throw failure("deleting", props, err, elsewhereHint(props.endpoint));
    }
  },
};
