/**
 * Helpers shared by the provider implementations (`provider.ts`, `media-provider.ts`).
 *
 * These run in the dynamic-provider process, loaded from the installed package (the state only
 * holds the shim of `resource.ts`), so they import what they need like any module.
 *
 * Process-wide state (the connection, what this deployment wrote) lives on `globalThis` under
 * `Symbol.for` keys: one provider process serves one deployment, and every implementation loaded
 * in it (even two copies of the package) shares that state.
 */
import crypto from "node:crypto";
import type { CheckFailure, ConfigureRequest } from "@pulumi/pulumi/dynamic";
import { createClient, type LiveRelayClient } from "@liverelay/sdk";

/** The value of an input that is not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const CONNECTION = "liverelay.pulumi.connection";
const WRITES = "liverelay.pulumi.writes";
const CLAIMS = "liverelay.pulumi.claims";

interface Connection {
  endpoint?: string;
  token?: string;
}

type Store = Record<string, Connection | undefined>;

/** The connection settings given by `configure`, kept per process, never on a provider object. */
function connectionStore(): Store {
  const g = globalThis as unknown as { [key: symbol]: Store | undefined };
  const key = Symbol.for(CONNECTION);
  return (g[key] ??= {});
}

function nonEmpty(v: string | undefined): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/** The body of every provider's `configure`: keeps the stack's `liverelay:` config on the process global. */
export function configureConnection(req: ConfigureRequest): void {
  const get = (key: string): string | undefined => {
    try {
      return req.config.get(key);
    } catch {
      return undefined;
    }
  };
  connectionStore().current = { endpoint: get("liverelay:endpoint"), token: get("liverelay:token") };
}

/** The configured endpoint and token (stack config, else environment), each undefined when unset. */
function settings(): { endpoint?: string; token?: string } {
  const conf = connectionStore().current ?? {};
  return {
    endpoint: nonEmpty(conf.endpoint) ?? nonEmpty(process.env.LIVERELAY_ENDPOINT),
    token: nonEmpty(conf.token) ?? nonEmpty(process.env.LIVERELAY_TOKEN),
  };
}

/**
 * The service address as recorded in the state: the URL without user-info (the state must not
 * hold credentials) and without a trailing slash, so that two spellings of one address compare equal.
 */
export function endpointKey(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return endpoint.replace(/\/+$/, "");
  }
}

/** The configured endpoint as recorded in the state, undefined when none is configured. */
export function configuredEndpoint(): string | undefined {
  const { endpoint } = settings();
  return endpoint ? endpointKey(endpoint) : undefined;
}

/**
 * A client for the service a resource lives on (`recorded`, from its state), else for the
 * configured one. Throws a readable error naming the config keys when the token (or, without a
 * recorded endpoint, the endpoint) is unset.
 */
export function client(recorded?: unknown): LiveRelayClient {
  const conf = settings();
  const configured = conf.endpoint;
  // The configured spelling (it may carry user-info) when it is the recorded service.
  const endpoint = typeof recorded === "string" && recorded !== "" && (!configured || endpointKey(configured) !== recorded) ? recorded : configured;
  const missing: string[] = [];
  if (!endpoint) missing.push("the endpoint (`pulumi config set liverelay:endpoint http://relay.internal:8080`, or env LIVERELAY_ENDPOINT)");
  if (!conf.token) missing.push("the API token (`pulumi config set --secret liverelay:token …`, or env LIVERELAY_TOKEN)");
  if (missing.length > 0) throw new Error(`LiveRelay provider is not configured: set ${missing.join(" and ")}`);
  try {
    return createClient({ baseUrl: endpoint!, token: conf.token!, timeoutMs: 30_000, maxRetries: 3 });
  } catch (err) {
    // Only the endpoint can be at fault here (the token is a non-empty string); its value is not secret.
    throw new Error(`LiveRelay provider: liverelay:endpoint ${JSON.stringify(endpoint)} is not usable: ${(err as Error).message}`);
  }
}

/**
 * Why an operation on a resource recorded on another service than the configured one failed:
 * appended to its error, so that a moved `liverelay:endpoint` is never a silent no-op.
 */
export function elsewhereHint(recorded: unknown): string | undefined {
  const configured = configuredEndpoint();
  if (typeof recorded !== "string" || !configured || recorded === configured) return undefined;
  return `This resource lives on ${recorded}, not on the configured ${configured}: the provider addresses ${recorded} with the configured token`;
}

/** sha256 hex of the parts: derived keys that never reveal what they were derived from. */
export function digest(...parts: string[]): string {
  return crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/**
 * Which resource of this deployment created or adopted each object of `kind`, by `<endpoint> <id>`:
 * the key its creator identifies itself with. Within one deployment no resource is both created and
 * deleted, so the delete of such an object by ANOTHER resource (the old name of a renamed resource
 * whose new name adopted it) must leave it alone.
 */
export function claimsOfDeployment(kind: string): Record<string, string> {
  const g = globalThis as unknown as { [key: symbol]: Record<string, Record<string, string>> | undefined };
  const all = (g[Symbol.for(CLAIMS)] ??= {});
  return (all[kind] ??= {});
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Status, code and field of an SDK error (anything else: empty). */
export function errorStatus(err: unknown): { status?: number; code?: string; field?: string } {
  if (!err || typeof err !== "object") return {};
  const e = err as { status?: unknown; code?: unknown; field?: unknown };
  return {
    status: typeof e.status === "number" ? e.status : undefined,
    code: typeof e.code === "string" ? e.code : undefined,
    field: typeof e.field === "string" ? e.field : undefined,
  };
}

export function isNotFound(err: unknown): boolean {
  return errorStatus(err).status === 404;
}

/** The message of anything thrown. The SDK's read `409 Conflict: … (request req_x)` and never hold the token. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Records that this process (one deployment's provider process) wrote `identity`, leaving it at
 * version `updatedAt`. See `lastWrite`.
 */
export function recordWrite(identity: string, updatedAt: string): void {
  const g = globalThis as unknown as { [key: symbol]: Record<string, string> | undefined };
  (g[Symbol.for(WRITES)] ??= {})[identity] = updatedAt;
}

/**
 * The version this process last wrote at `identity`, if it wrote it. A resource deleted after
 * another resource of the same deployment wrote its identity (a rename, a duplicate, a forced
 * replacement created before the old one is deleted) no longer owns what is there.
 */
export function lastWrite(identity: string): string | undefined {
  const g = globalThis as unknown as { [key: symbol]: Record<string, string> | undefined };
  return g[Symbol.for(WRITES)]?.[identity];
}

/** Deep equality of two property values: absent and null are the same; an unknown value equals nothing. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  if (!present(a) && !present(b)) return true;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** The value with every unknown (and every nested null) left out: what a schema can check during preview. */
export function withoutUnknowns(v: unknown): unknown {
  if (isUnknown(v)) return undefined;
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const kept = withoutUnknowns(x);
    if (present(kept)) out[k] = kept;
  }
  return out;
}

/** The value at `path`, and whether an unknown lies on the way (then nothing about it can be said yet). */
function lookup(root: unknown, path: readonly PropertyKey[]): { value: unknown; unknown: boolean } {
  let value = root;
  for (const key of path) {
    if (isUnknown(value)) return { value, unknown: true };
    value = isPlainObject(value) ? value[String(key)] : undefined;
  }
  return { value, unknown: isUnknown(value) };
}

interface Issue {
  code: string;
  message: string;
  path: PropertyKey[];
  expected?: string;
  values?: unknown[];
  keys?: string[];
}

/** Field-prefixed, readable reason for a zod issue at `property`, whose input value is `value`. */
function reasonOf(property: string, issue: Issue, value: unknown): string {
  if (issue.code === "invalid_type" && value === undefined) return `${property} is required`;
  // The SDK's own messages name the field ("video.height must be even", "keep must be a whole number").
  if (issue.message.includes(property)) return issue.message;
  if (issue.code === "invalid_type") return `${property} has the wrong type: expected ${issue.expected ?? issue.message.replace(/^Invalid input: /, "")}`;
  if (issue.code === "invalid_value" && Array.isArray(issue.values)) {
    const values = issue.values.map((v) => JSON.stringify(v));
    return `${property} must be ${values.length > 1 ? `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}` : values[0]}`;
  }
  return `${property}: ${issue.message}`;
}

/**
 * Checks the known values of `fields` of `input` with one of the SDK's (strict) schemas and
 * returns the failures in the service's words, one per (nested) field. A failure is reported on
 * the top-level property (the engine 3.248 looks the name up as a top-level key: `video.height`
 * would print as `property video.height value {<nil>}`); its reason names the nested field
 * ("video.height must be even"). Unknown values (preview) are left out, and so is any problem at
 * or under one.
 */
export function schemaFailures(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: readonly unknown[] } } },
  input: Record<string, unknown>,
  fields: readonly string[],
): CheckFailure[] {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const v = withoutUnknowns(input[f]);
    if (v !== undefined) body[f] = v;
  }
  const parsed = schema.safeParse(body);
  const failures: CheckFailure[] = [];
  const seen = new Set<string>();
  const add = (path: string, reason: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    failures.push({ property: path.split(".")[0]!, reason });
  };
  for (const raw of parsed.error?.issues ?? []) {
    const issue = raw as Issue;
    const at = lookup(input, issue.path);
    if (at.unknown) continue;
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys" && Array.isArray(issue.keys)) {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, `${path ? `${path}.` : ""}${key} is not a known field`);
    } else if (path === "") {
      add("", issue.message);
    } else {
      add(path, reasonOf(path, issue, at.value));
    }
  }
  return failures;
}
