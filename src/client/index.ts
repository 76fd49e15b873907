export {
  type CreateIntentGateClientParameters,
  type CreateIntentGateClientReturnType,
  createIntentGateClient,
  type IntentGateClient,
} from './createIntentGateClient.js'
export {
  ChainMismatchError,
  type ChainMismatchErrorType,
  ChainReadError,
  type ChainReadErrorType,
  ClientConfigError,
  type ClientConfigErrorType,
  type ClientErrorCode,
  GatewayResponseError,
  type GatewayResponseErrorType,
  IntentGateClientError,
  type IntentGateClientErrorParameters,
  type IntentGateErrorCode,
  IntentGateNetworkError,
  type IntentGateNetworkErrorType,
  InvalidGatewayResponseError,
  type InvalidGatewayResponseErrorType,
  SigningError,
  type SigningErrorType,
  WaitForRequestTimeoutError,
  type WaitForRequestTimeoutErrorType,
} from './errors.js'
export {
  type ForwardRequestMessage,
  type ForwardRequestSigner,
  type ForwardRequestTypedData,
  forwardRequestTypes,
} from './forwardRequest.js'
export type { GetRequestErrorType, GetRequestParameters, GetRequestReturnType } from './getRequest.js'
export type { GetSessionErrorType, GetSessionReturnType } from './getSession.js'
export type {
  Preview,
  PreviewCall,
  PreviewDescriptionPart,
  PreviewErrorType,
  PreviewParameters,
  PreviewReturnType,
  PreviewTokenEvent,
} from './preview.js'
export {
  defaultDeadlineSeconds,
  defaultForwardGas,
  type ForwardedCallParameters,
  type SendMetaTransactionErrorType,
  type SendMetaTransactionParameters,
  type SendMetaTransactionReturnType,
} from './sendMetaTransaction.js'
export {
  type Attestation,
  type DsseEnvelope,
  type MetaTransactionReceipt,
  type Reason,
  type RequestApproval,
  type RequestRecord,
  type RequestStatus,
  type Session,
  terminalRequestStatuses,
} from './types.js'
export type {
  WaitForRequestErrorType,
  WaitForRequestParameters,
  WaitForRequestReturnType,
} from './waitForRequest.js'
