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
export type { TranscodeTemplates } from "./resources/transcode-templates";
export type { SnapshotConfigResource } from "./resources/snapshot-config";
export type { RecordingConfigResource } from "./resources/recording-config";
export type { Recordings, RecordingListParams, RecordingFilters, DownloadOptions } from "./resources/recordings";
export type { Webhooks } from "./resources/webhooks";
export type { Events, EventStreamOptions } from "./resources/events";
export type { Processing } from "./resources/processing";
export { SDK_VERSION } from "./version";
// The API contract (schemas, their types, error codes, redaction), re-exported for one-import use.
export * from "@liverelay/api";
