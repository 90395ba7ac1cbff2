// The API contract shared by the service, the SDK and the Pulumi provider: request and response
// schemas (zod), error codes and the redaction every log line and error message goes through.
export * from "./common";
export * from "./errors";
export * from "./destination-url";
export * from "./srt-destination";
export * from "./relay-templates";
export * from "./relays";
export * from "./domains";
export * from "./media";
export * from "./processing";
export { redactUrl, redactText } from "./redact";
export * from "./events";
export * from "./webhooks";
export * from "./webhook-signature";
