export {
  SrtServer,
  type SrtServerOptions,
  type SrtConnection,
  type SrtConnectionStats,
  type SrtCallerInfo,
  type SrtAcceptDecision,
  type SrtCloseReason,
  type SrtRefusalReason,
  DEFAULT_SRT_LIMITS,
} from "./server";
export { parseStreamId, describeStreamId, type ParsedStreamId } from "./streamid";
