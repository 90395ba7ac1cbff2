export { providerShim, type ProviderKind } from "./resource";
export { providers } from "./implementations";
export { RelayTemplate, RELAY_TEMPLATE_TYPE, relayTemplateIdempotencyKey, type RelayTemplateArgs } from "./relay-template";
export { relayTemplateProvider, type RelayTemplateInputs, type RelayTemplateOutputs, type ProviderInputs } from "./provider";
export {
  TranscodeTemplate,
  SnapshotConfig,
  RecordingConfig,
  TRANSCODE_TEMPLATE_TYPE,
  SNAPSHOT_CONFIG_TYPE,
  RECORDING_CONFIG_TYPE,
  type TranscodeTemplateArgs,
  type TranscodeVideoArgs,
  type TranscodeAudioArgs,
  type SnapshotConfigArgs,
  type RecordingConfigArgs,
} from "./media-resources";
export {
  transcodeTemplateProvider,
  snapshotConfigProvider,
  recordingConfigProvider,
  type TranscodeTemplateInputs,
  type TranscodeTemplateOutputs,
  type TranscodeVideo,
  type TranscodeAudio,
  type SnapshotConfigInputs,
  type SnapshotConfigOutputs,
  type RecordingConfigInputs,
  type RecordingConfigOutputs,
} from "./media-provider";
export { Webhook, webhookProvider, WEBHOOK_TYPE, type WebhookArgs, type WebhookInputs, type WebhookOutputs } from "./webhook";
