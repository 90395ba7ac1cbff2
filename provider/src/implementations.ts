/**
 * `@liverelay/pulumi/provider`: what the `__provider` shim of every resource (`resource.ts`) loads in
 * the dynamic-provider process. One entry per resource kind; a new resource adds its provider here
 * and its kind to `ProviderKind`.
 */
import type { ResourceProvider } from "@pulumi/pulumi/dynamic";
import type { ProviderKind } from "./resource";
import { relayTemplateProvider } from "./provider";
import { recordingConfigProvider, snapshotConfigProvider, transcodeTemplateProvider } from "./media-provider";
import { webhookProvider } from "./webhook";

export const providers: Record<ProviderKind, ResourceProvider> = {
  RelayTemplate: relayTemplateProvider as ResourceProvider,
  TranscodeTemplate: transcodeTemplateProvider as ResourceProvider,
  SnapshotConfig: snapshotConfigProvider as ResourceProvider,
  RecordingConfig: recordingConfigProvider as ResourceProvider,
  Webhook: webhookProvider as ResourceProvider,
};
