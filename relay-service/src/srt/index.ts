export {
  SrtServer,
  type SrtServerOptions,
  type SrtConnection,
  type SrtConnectionStats,
  type SrtCallerInfo,
  type SrtAcceptDecision,
  type SrtCloseReason,
} from "./server";
export { parseStreamId, describeStreamId, type ParsedStreamId } from "./streamid";
