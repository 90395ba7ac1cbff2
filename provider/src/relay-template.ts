import crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { LiveRelayResource } from "./resource";

/** The Pulumi type token of the resource (`pulumi-nodejs:dynamic/liverelay:RelayTemplate`): part of every URN, never change it. */
export const RELAY_TEMPLATE_TYPE = "pulumi-nodejs:dynamic/liverelay:RelayTemplate";

/** Arguments of a `RelayTemplate`. */
export interface RelayTemplateArgs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the template. */
  domain: pulumi.Input<string>;
  /** Application name (case-sensitive). Changing it replaces the template. */
  appName: pulumi.Input<string>;
  /** Stream name (case-sensitive). Changing it replaces the template. */
  streamName: pulumi.Input<string>;
  /**
   * Complete ingest URL of the destination: `rtmp://host/app/streamKey`, `rtmps://…` or
   * `srt://host:port?streamid=…`. It holds the stream key, so it is always stored as a secret.
   * Changing it replaces the template (the old one is deleted first, unless `deleteBeforeReplace: false`).
   */
  destinationUrl: pulumi.Input<string>;
  /** `always`: relay whenever the stream is live; `time`: only between startTime and endTime. */
  mode: pulumi.Input<"always" | "time">;
  /** RFC 3339 UTC, e.g. `2026-12-01T09:00:00Z`; required when mode is `time`, not allowed otherwise. */
  startTime?: pulumi.Input<string>;
  /** RFC 3339 UTC, after startTime, window shorter than 7 days; must be in the future when it is written. */
  endTime?: pulumi.Input<string>;
  /** Free text, at most 1024 characters. */
  description?: pulumi.Input<string>;
  /**
   * Relay across protocols: an SRT-ingested stream to an `rtmp://`/`rtmps://` destination or an
   * RTMP-ingested one to `srt://`, the service converting the container (H.264, HEVC, AAC). Off
   * (the default), such a relay is refused with `ProtocolMismatch`. Updated in place.
   */
  protocolConversion?: pulumi.Input<boolean>;
  /**
   * When the service already has a template with the same domain, appName, streamName and
   * destinationUrl, take it over (its schedule and description become the declared ones)
   * instead of failing with 409 Conflict. Only consulted when the resource is created.
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * The idempotency key of a new resource's first create: sha256 of the resource's URN-like name and
 * its identity fields. Stable across runs and retries (a create whose response was lost, or whose
 * run was killed, returns the same template when run again). The provider derives every later
 * create's key from it (see provider.ts), so a replacement never shares a key with what it replaces.
 */
export function relayTemplateIdempotencyKey(
  resource: { project: string; stack: string; name: string },
  identity: { domain: string; appName: string; streamName: string; destinationUrl: string },
): string {
  const urn = `urn:pulumi:${resource.stack}::${resource.project}::${RELAY_TEMPLATE_TYPE}::${resource.name}`;
  const material = JSON.stringify([urn, identity.domain, identity.appName, identity.streamName, identity.destinationUrl]);
  return "pulumi-" + crypto.createHash("sha256").update(material).digest("hex");
}

/**
 * A LiveRelay relay template: one destination URL for one stream, optionally limited to a time window.
 *
 * The service is chosen by the stack config `liverelay:endpoint` and `liverelay:token` (secret),
 * or the environment variables `LIVERELAY_ENDPOINT` and `LIVERELAY_TOKEN`.
 */
export class RelayTemplate extends LiveRelayResource {
  /** The service's template id (also the resource id). */
  public declare readonly templateId: pulumi.Output<string>;
  public declare readonly domain: pulumi.Output<string>;
  public declare readonly appName: pulumi.Output<string>;
  public declare readonly streamName: pulumi.Output<string>;
  /** Always a secret. */
  public declare readonly destinationUrl: pulumi.Output<string>;
  public declare readonly mode: pulumi.Output<"always" | "time">;
  /** Canonical RFC 3339 UTC (`2026-12-01T09:00:00Z`), or undefined in mode `always`. */
  public declare readonly startTime: pulumi.Output<string | undefined>;
  public declare readonly endTime: pulumi.Output<string | undefined>;
  public declare readonly description: pulumi.Output<string | undefined>;
  public declare readonly protocolConversion: pulumi.Output<boolean | undefined>;
  public declare readonly adopt: pulumi.Output<boolean | undefined>;
  /** The service the template lives on (`liverelay:endpoint` when it was created). */
  public declare readonly endpoint: pulumi.Output<string>;
  public declare readonly createdAt: pulumi.Output<string>;
  public declare readonly updatedAt: pulumi.Output<string>;

  /**
   * Reads an existing template into the program without managing it (Pulumi's `get`): `id` is the
   * template id (`rt_…`), `domain` its domain (the API addresses templates by both).
   */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state: { domain: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions): RelayTemplate {
    return new RelayTemplate(name, { domain: state.domain } as RelayTemplateArgs, { ...opts, id });
  }

  constructor(name: string, args: RelayTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    const reading = opts?.id !== undefined;
    // Secret whether or not the caller wrapped it: it holds the stream key.
    const destinationUrl = reading ? undefined : pulumi.secret(args.destinationUrl);
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const idempotencyKey = reading
      ? undefined
      : pulumi
          .all([args.domain, args.appName, args.streamName, destinationUrl!])
          .apply(([domain, appName, streamName, url]) =>
            relayTemplateIdempotencyKey({ project, stack, name }, { domain, appName, streamName, destinationUrl: url }),
          );
    super(
      "RelayTemplate",
      name,
      {
        domain: args.domain,
        appName: args.appName,
        streamName: args.streamName,
        destinationUrl,
        mode: args.mode,
        startTime: args.startTime,
        endTime: args.endTime,
        description: args.description,
        protocolConversion: args.protocolConversion,
        adopt: args.adopt,
        __idempotencyKey: idempotencyKey,
        // The engine applies replaceOnChanges only to the changed keys a provider reports, and dynamic
        // providers report none: the provider applies it itself.
        __replaceOnChanges: opts?.replaceOnChanges,
        __createFirst: opts?.deleteBeforeReplace === false ? true : undefined,
        templateId: undefined,
        endpoint: undefined,
        createdAt: undefined,
        updatedAt: undefined,
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: ["destinationUrl"],
        // The service allows one template per stream and destination, and a replacement that keeps
        // them (`--replace`, `--target-replace`) skips the provider's diff: delete first unless told otherwise.
        deleteBeforeReplace: opts?.deleteBeforeReplace ?? true,
      }),
      "declare it with the same domain, appName, streamName and destinationUrl and `adopt: true` to take the template over, or read it with `RelayTemplate.get(name, id, { domain })`",
    );
  }
}
