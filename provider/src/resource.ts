/**
 * The base of every LiveRelay resource class: a dynamic-provider resource whose `__provider` (the
 * code the engine stores in the state and runs in the dynamic-provider process) is a shim of one
 * line that loads the implementation from the installed `@liverelay/pulumi` package when it runs.
 *
 * `pulumi.dynamic.Resource` would serialize the provider object and everything it reaches into
 * each resource's inputs and outputs (~25 KB per resource, rewritten by the engine after every
 * step) and would keep running that old copy for the resource's refresh and delete after an
 * upgrade. The protocol is the same: a `pulumi-nodejs:dynamic/<module>:<type>` resource whose
 * `__provider` text exports `handler()`, which returns the provider object.
 */
import * as pulumi from "@pulumi/pulumi";

/** The kinds the shim can load: the keys of `providers` in `./implementations`. */
export type ProviderKind = "RelayTemplate" | "TranscodeTemplate" | "SnapshotConfig" | "RecordingConfig" | "Webhook";

/**
 * The `__provider` text of `kind`. The `require` runs in the dynamic-provider process, which
 * resolves it from the program's directory: the program's own installed `@liverelay/pulumi`.
 */
export function providerShim(kind: ProviderKind): string {
  return `exports.handler = function () { return require("@liverelay/pulumi/provider").providers[${JSON.stringify(kind)}]; };\n`;
}

/** What a resource class says when given the `import` option. */
export type ImportAdvice = string;

export abstract class LiveRelayResource extends pulumi.CustomResource {
  protected constructor(kind: ProviderKind, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, importAdvice: ImportAdvice) {
    if (opts?.import !== undefined) {
      // The engine reads an imported resource without any inputs, so the dynamic-provider host has no
      // provider code to run and fails with a TypeError: say what to do instead.
      throw new Error(`${kind} "${name}": the \`import\` resource option does not work with Pulumi dynamic providers; ${importAdvice}`);
    }
    super(`pulumi-nodejs:dynamic/liverelay:${kind}`, name, { ...props, __provider: providerShim(kind) }, opts);
  }
}
