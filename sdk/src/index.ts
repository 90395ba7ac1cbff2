export { createClient, type ClientOptions, type LiveRelayClient } from "./client";
export {
  LiveRelayError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  ConnectionError,
  TimeoutError,
  ResponseValidationError,
  LiveRelayAbortError,
  type ApiErrorCode,
  type ValidationIssue,
} from "./errors";
export type { RequestOptions, BinaryResponse } from "./http";
export { Page, PagePromise, type PageBody } from "./pagination";
export type { RelayTemplates, RelayTemplateListParams, RelayTemplateFilters, CreateOptions, WaitForStateOptions } from "./resources/relay-templates";
export type { Relays } from "./resources/relays";
export type { Streams } from "./resources/streams";
export type { QuotaResource } from "./resources/quota";
export type { IngestAuthResource } from "./resources/ingest-auth";
export type { IngestSettingsResource } from "./resources/ingest-settings";
export type { TranscodeTemplates } from "./resources/transcode-templates";
export type { SnapshotConfigResource } from "./resources/snapshot-config";
export type { RecordingConfigResource } from "./resources/recording-config";
export type { Recordings, RecordingListParams, RecordingFilters, DownloadOptions } from "./resources/recordings";
export type { Webhooks } from "./resources/webhooks";
export type { Events, EventStreamOptions } from "./resources/events";
export type { Processing } from "./resources/processing";
export type { Domains } from "./resources/domains";
export { SDK_VERSION } from "./version";
// The responses as the SDK types and validates them (discriminated, forward-compatible): these
// names win over the contract's own schemas of the same name, re-exported below.
export {
  RelayTemplate,
  RelayTemplateList,
  RelayState,
  RelayStatus,
  RelayStatusList,
  LiveStream,
  LiveStreamList,
  Recording,
  RecordingList,
  isKnownRelayState,
  isKnownRelayStatus,
  type Open,
  type AlwaysRelayTemplate,
  type TimeRelayTemplate,
  type KnownRelayState,
  type RelayError,
  type ErrorRelayStatus,
  type OtherRelayStatus,
  type UnknownRelayStatus,
  type KnownRelayStatus,
} from "./responses";
// The API contract (schemas, their types, error codes, redaction), re-exported for one-import use.
export * from "@liverelay/api";
