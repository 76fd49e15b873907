export { type HeldRequestInfo, IntentGateError, type IntentGateErrorOptions } from './baseError.js'
export { classifyError } from './classifyError.js'
export { type ErrorBody, type ErrorCode, errorCatalogue, type Reason } from './codes.js'
export { UpstreamRpcError } from './upstreamRpcError.js'
