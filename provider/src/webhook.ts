/**
 * `Webhook`: a LiveRelay webhook (where a domain's events are POSTed, signed) as a Pulumi resource.
 * The service creates or replaces it at `domain`/`webhookId` (PUT). Its signing secret is the
 * given one, or the one the service generated at creation — returned once, so the provider keeps
 * it in the outputs, always as a secret (`additionalSecretOutputs`). A URL that carries a token
 * should be given as `pulumi.secret(...)`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult } from "@pulumi/pulumi/dynamic";
import type { LiveRelayClient, Webhook as ApiWebhook } from "@liverelay/sdk";
import * as api from "@liverelay/api";
import { client, configureConnection, configuredEndpoint, elsewhereHint, isNotFound, isUnknown, messageOf, present, sameValue, schemaFailures } from "./shared";
import { LiveRelayResource } from "./resource";

export const WEBHOOK_TYPE = "pulumi-nodejs:dynamic/liverelay:Webhook";

/** Plain (resolved) inputs of a webhook. */
export interface WebhookInputs {
  /** Streaming domain. Changing it replaces the webhook. */
  domain: string;
  /** 1-64 letters, digits, '_' or '-'. Changing it replaces the webhook. */
  webhookId: string;
  /** http(s) URL the events are POSTed to. Updated in place. */
  url: string;
  /** Event types, or `["*"]`. Updated in place. */
  events: string[];
  description?: string | null;
  /** Default true. */
  enabled?: boolean;
  /** Signing secret (16-256 visible ASCII); omitted: the service generates one at creation. Updated in place when given. */
  secret?: string;
  /** The service the webhook lives on (recorded at check). */
  endpoint?: string;
}

export interface WebhookOutputs extends WebhookInputs {
  enabled: boolean;
  secret: string;
  createdAt: string;
  updatedAt: string;
}

const MUTABLE = ["url", "events", "description", "enabled"] as const;
const label = (p: Partial<WebhookInputs>) => `webhook ${p.webhookId ?? "?"} in ${p.domain ?? "?"}`;
const failure = (action: string, p: Partial<WebhookInputs>, err: unknown, hint?: string) =>
  new Error(`LiveRelay: ${action} ${label(p)} failed: ${messageOf(err)}${hint ? `. ${hint}` : ""}`);

function outputsOf(w: ApiWebhook, secret: string, endpoint: string | undefined): WebhookOutputs {
  const outs: WebhookOutputs = { domain: w.domain, webhookId: w.id, url: w.url, events: w.events, description: w.description, enabled: w.enabled, secret, createdAt: w.createdAt, updatedAt: w.updatedAt };
  if (endpoint) outs.endpoint = endpoint;
  return outs;
}

async function put(c: LiveRelayClient, p: WebhookInputs) {
  return c.webhooks.put(p.domain, p.webhookId, { url: p.url, events: p.events as never, description: p.description ?? null, enabled: p.enabled ?? true, ...(present(p.secret) ? { secret: p.secret } : {}) });
}

/** The provider object (loaded by the shim in the state, see resource.ts). */
export const webhookProvider: ResourceProvider<WebhookInputs, WebhookOutputs> = {
  async configure(req: ConfigureRequest): Promise<void> {
    configureConnection(req);
  },

  async check(olds: WebhookInputs, news: WebhookInputs): Promise<CheckResult<WebhookInputs>> {
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(news ?? {})) if (present(v)) inputs[k] = v;
    if (!present(inputs.enabled)) inputs.enabled = true;
    if (!present(inputs.description)) inputs.description = null; // the service's "none", so leaving it out is no change
    const endpoint = configuredEndpoint() ?? olds?.endpoint;
    if (endpoint) inputs.endpoint = endpoint;
    const failures = [...schemaFailures(api.WebhookParams, inputs, ["domain", "webhookId"]), ...schemaFailures(api.WebhookSet, inputs, ["url", "events", "secret", "description", "enabled"])];
    return { inputs: inputs as unknown as WebhookInputs, failures };
  },

  async diff(_id: string, olds: WebhookOutputs, news: WebhookInputs): Promise<DiffResult> {
    const o = olds as unknown as Record<string, unknown>;
    const n = news as unknown as Record<string, unknown>;
    // sameValue compares objects by key, arrays by identity: the event list by its JSON.
    const differs = (f: string) => (Array.isArray(o[f]) && Array.isArray(n[f]) ? JSON.stringify(o[f]) !== JSON.stringify(n[f]) : !sameValue(o[f], n[f]));
    const replaces = ["domain", "webhookId"].filter(differs);
    if (present(o.endpoint) && present(n.endpoint) && !isUnknown(n.endpoint) && differs("endpoint")) replaces.push("endpoint");
    const updates: string[] = MUTABLE.filter((f) => differs(f));
    if (present(n.secret) && differs("secret")) updates.push("secret"); // left out: the secret stays as it is
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async create(news: WebhookInputs): Promise<CreateResult<WebhookOutputs>> {
    try {
      const w = await put(client(news.endpoint), news);
      const secret = w.secret ?? news.secret;
      if (!secret) throw new Error("the webhook already existed and its secret is not known: give `secret`");
      return { id: `${news.domain}/${news.webhookId}`, outs: outputsOf(w, secret, news.endpoint) };
    } catch (err) {
      throw failure("creating", news, err);
    }
  },

  async read(id: string, props?: WebhookOutputs): Promise<ReadResult<WebhookOutputs>> {
    const [domain, webhookId] = [props?.domain ?? id.split("/")[0], props?.webhookId ?? id.split("/").slice(1).join("/")];
    try {
      const w = await client(props?.endpoint).webhooks.get(domain, webhookId);
      return { id, props: outputsOf(w, props?.secret ?? "", props?.endpoint) };
    } catch (err) {
      if (isNotFound(err)) return { id: "" };
      throw failure("reading", { domain, webhookId }, err, elsewhereHint(props?.endpoint));
    }
  },

  async update(_id: string, olds: WebhookOutputs, news: WebhookInputs): Promise<UpdateResult<WebhookOutputs>> {
    try {
      const w = await put(client(olds.endpoint), news);
      return { outs: outputsOf(w, news.secret ?? olds.secret, olds.endpoint ?? news.endpoint) };
    } catch (err) {
      throw failure("updating", news, err, elsewhereHint(olds.endpoint));
    }
  },

  async delete(_id: string, props: WebhookOutputs): Promise<void> {
    try {
      await client(props.endpoint).webhooks.delete(props.domain, props.webhookId);
    } catch (err) {
      if (!isNotFound(err)) throw failure("deleting", props, err, elsewhereHint(props.endpoint));
    }
  },
};

/** Arguments of a `Webhook`. */
export interface WebhookArgs {
  domain: pulumi.Input<string>;
  webhookId: pulumi.Input<string>;
  /** Where events are POSTed; pass `pulumi.secret(url)` when it carries a token. */
  url: pulumi.Input<string>;
  /** Event types (`stream.started`, `relay.state_changed`, …) or `["*"]`. */
  events: pulumi.Input<pulumi.Input<string>[]>;
  description?: pulumi.Input<string | null>;
  /** Default true. */
  enabled?: pulumi.Input<boolean>;
  /** Signing secret; omitted: generated by the service, available as the `secret` output (a secret). */
  secret?: pulumi.Input<string>;
}

/**
 * A LiveRelay webhook. `secret` is an output: the given secret or the generated one, always a
 * Pulumi secret; verify deliveries with it (`verifyWebhookSignature` in `@liverelay/sdk`).
 * The resource id is `<domain>/<webhookId>`.
 */
export class Webhook extends LiveRelayResource {
  public declare readonly domain: pulumi.Output<string>;
  public declare readonly webhookId: pulumi.Output<string>;
  public declare readonly url: pulumi.Output<string>;
  public declare readonly events: pulumi.Output<string[]>;
  public declare readonly enabled: pulumi.Output<boolean>;
  public declare readonly secret: pulumi.Output<string>;
  public declare readonly createdAt: pulumi.Output<string>;
  public declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: WebhookArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Webhook",
      name,
      { ...args, secret: args.secret, description: args.description, enabled: args.enabled, createdAt: undefined, updatedAt: undefined, endpoint: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret"] },
      "creating the resource takes over the webhook at its identity (PUT); give `secret`, since a generated one is never shown again",
    );
  }
}
