/**
 * Eclipse Dataspace Protocol 2025-1: contract negotiation and transfer process (part of module
 * `contract`). Owns:
 * - the two state machines, pure tables of who may send what in which state — `states.ts`;
 * - every message of both protocols: compact-form builders, validating readers, Learnpool's extension
 *   properties (https://w3id.org/learnpool/dsp/) — `messages.ts` (pure);
 * - the tables of migration 8 (negotiations, transfer processes, their append-only message history)
 *   — `repository.ts`;
 * - the outbound HTTPS binding — `client.ts`;
 * - `DspService`: both sides of both protocols, the agreement registry integration (the agreement is
 *   proposed and signed there; FINALIZED only once every party signed), and the pull data plane whose
 *   every page re-checks the agreement — `service.ts`.
 * The catalog is reached only through `OfferLookup`, the registry through `AgreementRegistryPort`.
 */
export { type Authorize, DspClient, DspRemoteError, type DspReply, resolve } from "./client.js";
export {
  buildMessage,
  type ContractAgreementMessage,
  type ContractAgreementVerificationMessage,
  type ContractNegotiation,
  type ContractNegotiationEventMessage,
  type ContractNegotiationTerminationMessage,
  type ContractOfferMessage,
  type ContractRequestMessage,
  comparablePolicy,
  type DataAddress,
  DSP_CONTEXT,
  DSPACE_NS,
  DspMessageError,
  type EndpointProperty,
  EXT_AGREEMENT_DIGEST,
  EXT_AGREEMENT_DOCUMENT,
  EXT_SIGNATURE,
  endpointProperty,
  HTTP_ENDPOINT_TYPE,
  isSecretName,
  type JsonObject,
  LEARNPOOL_DSP_NS,
  MESSAGE_TYPES,
  type MessageType,
  type MessageTypes,
  messageTypeOf,
  type NegotiationEventType,
  type ProtocolErrorBody,
  readMessage,
  redactSecrets,
  type TransferCompletionMessage,
  type TransferProcess,
  type TransferRequestMessage,
  type TransferStartMessage,
  type TransferSuspensionMessage,
  type TransferTerminationMessage,
} from "./messages.js";
export type { HistoryEntry, Negotiation, TransferProcessRecord } from "./repository.js";
export {
  type AgreementRegistryPort,
  type AgreementSigner,
  type DataPage,
  DspService,
  type DspServiceOptions,
  type NegotiationCheck,
  type OfferLookup,
  type PolicyAnswer,
  PULL_FORMAT,
  sameOffer,
  type TransferCheck,
  type TransferPageAnswer,
  type TransferPageCheck,
} from "./service.js";
export {
  DspProtocolError,
  FINAL_NEGOTIATION_STATES,
  FINAL_TRANSFER_STATES,
  isNegotiationState,
  isTransferState,
  NEGOTIATION_MESSAGES,
  NEGOTIATION_STATES,
  type NegotiationMessage,
  type NegotiationState,
  negotiationAllows,
  negotiationTransition,
  type Side,
  TRANSFER_MESSAGES,
  TRANSFER_STATES,
  type TransferMessage,
  type TransferState,
  transferAllows,
  transferTransition,
} from "./states.js";
