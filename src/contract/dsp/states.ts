/**
 * The Dataspace Protocol's two state machines as pure tables: which message, sent by which side, moves a
 * contract negotiation or a transfer process from which state to which. Nothing here does I/O; the
 * service asks these tables before it writes or sends anything.
 */

export type Side = "provider" | "consumer";

export const NEGOTIATION_STATES = [
  "REQUESTED",
  "OFFERED",
  "ACCEPTED",
  "AGREED",
  "VERIFIED",
  "FINALIZED",
  "TERMINATED",
] as const;
export type NegotiationState = (typeof NEGOTIATION_STATES)[number];

/** A negotiation message as the state machine sees it: the event message is two, by its eventType. */
export const NEGOTIATION_MESSAGES = [
  "ContractRequestMessage",
  "ContractOfferMessage",
  "ContractAgreementMessage",
  "ContractAgreementVerificationMessage",
  "ContractNegotiationEventMessage:ACCEPTED",
  "ContractNegotiationEventMessage:FINALIZED",
  "ContractNegotiationTerminationMessage",
] as const;
export type NegotiationMessage = (typeof NEGOTIATION_MESSAGES)[number];

export const TRANSFER_STATES = ["REQUESTED", "STARTED", "SUSPENDED", "COMPLETED", "TERMINATED"] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

export const TRANSFER_MESSAGES = [
  "TransferRequestMessage",
  "TransferStartMessage",
  "TransferSuspensionMessage",
  "TransferCompletionMessage",
  "TransferTerminationMessage",
] as const;
export type TransferMessage = (typeof TRANSFER_MESSAGES)[number];

/** `undefined` as a from-state: the message creates the process. */
type Edge<S, M> = readonly [from: S | undefined, message: M, sender: Side | "either", to: S];

/**
 * The negotiation state machine of DSP 2025-1 (figure "Contract Negotiation State Machine").
 * Termination: the figure draws some TERMINATED edges for one side only (ACCEPTED and VERIFIED: P,
 * AGREED: C), but the text says the termination message "can be sent at any state of a CN" by either
 * party; a party that wants out must be able to say so, so either side may terminate any non-final state.
 */
const NEGOTIATION_EDGES: readonly Edge<NegotiationState, NegotiationMessage>[] = [
  [undefined, "ContractRequestMessage", "consumer", "REQUESTED"],
  [undefined, "ContractOfferMessage", "provider", "OFFERED"],
  ["REQUESTED", "ContractOfferMessage", "provider", "OFFERED"],
  ["REQUESTED", "ContractAgreementMessage", "provider", "AGREED"],
  ["OFFERED", "ContractRequestMessage", "consumer", "REQUESTED"],
  ["OFFERED", "ContractNegotiationEventMessage:ACCEPTED", "consumer", "ACCEPTED"],
  ["ACCEPTED", "ContractAgreementMessage", "provider", "AGREED"],
  ["AGREED", "ContractAgreementVerificationMessage", "consumer", "VERIFIED"],
  ["VERIFIED", "ContractNegotiationEventMessage:FINALIZED", "provider", "FINALIZED"],
  ["REQUESTED", "ContractNegotiationTerminationMessage", "either", "TERMINATED"],
  ["OFFERED", "ContractNegotiationTerminationMessage", "either", "TERMINATED"],
  ["ACCEPTED", "ContractNegotiationTerminationMessage", "either", "TERMINATED"],
  ["AGREED", "ContractNegotiationTerminationMessage", "either", "TERMINATED"],
  ["VERIFIED", "ContractNegotiationTerminationMessage", "either", "TERMINATED"],
];

/** The transfer process state machine of DSP 2025-1 (figure "Transfer Process State Machine"). */
const TRANSFER_EDGES: readonly Edge<TransferState, TransferMessage>[] = [
  [undefined, "TransferRequestMessage", "consumer", "REQUESTED"],
  ["REQUESTED", "TransferStartMessage", "provider", "STARTED"],
  ["REQUESTED", "TransferTerminationMessage", "either", "TERMINATED"],
  ["STARTED", "TransferCompletionMessage", "either", "COMPLETED"],
  ["STARTED", "TransferSuspensionMessage", "either", "SUSPENDED"],
  ["STARTED", "TransferTerminationMessage", "either", "TERMINATED"],
  ["SUSPENDED", "TransferStartMessage", "either", "STARTED"],
  ["SUSPENDED", "TransferTerminationMessage", "either", "TERMINATED"],
];

export const FINAL_NEGOTIATION_STATES: ReadonlySet<NegotiationState> = new Set(["FINALIZED", "TERMINATED"]);
export const FINAL_TRANSFER_STATES: ReadonlySet<TransferState> = new Set(["COMPLETED", "TERMINATED"]);

/**
 * A message the state machine does not allow. `status` is the HTTP status the binding gives it: 400 for
 * an invalid transition (HTTPS binding, "State Transition Errors"), 404 for an unknown process, and so on.
 */
export class DspProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DspProtocolError";
  }
}

function transition<S extends string, M extends string>(
  edges: readonly Edge<S, M>[],
  process: string,
  from: S | undefined,
  message: M,
  sender: Side,
): S {
  const edge = edges.find(([f, m, s]) => f === from && m === message && (s === "either" || s === sender));
  if (edge) return edge[3];
  const where = from === undefined ? `to start a ${process}` : `in state ${from}`;
  throw new DspProtocolError(
    400,
    "InvalidStateTransition",
    `${message} from the ${sender} is not allowed ${where}`,
  );
}

/** The state a negotiation moves to; throws DspProtocolError (400) naming the state and message. */
export function negotiationTransition(
  from: NegotiationState | undefined,
  message: NegotiationMessage,
  sender: Side,
): NegotiationState {
  return transition(NEGOTIATION_EDGES, "contract negotiation", from, message, sender);
}

export function transferTransition(
  from: TransferState | undefined,
  message: TransferMessage,
  sender: Side,
): TransferState {
  return transition(TRANSFER_EDGES, "transfer process", from, message, sender);
}

/** Whether `sender` may send `message` in `from` (the same table, without the error). */
export function negotiationAllows(
  from: NegotiationState | undefined,
  message: NegotiationMessage,
  sender: Side,
): boolean {
  return NEGOTIATION_EDGES.some(
    ([f, m, s]) => f === from && m === message && (s === "either" || s === sender),
  );
}

export function transferAllows(
  from: TransferState | undefined,
  message: TransferMessage,
  sender: Side,
): boolean {
  return TRANSFER_EDGES.some(([f, m, s]) => f === from && m === message && (s === "either" || s === sender));
}

export function isNegotiationState(value: unknown): value is NegotiationState {
  return typeof value === "string" && (NEGOTIATION_STATES as readonly string[]).includes(value);
}

export function isTransferState(value: unknown): value is TransferState {
  return typeof value === "string" && (TRANSFER_STATES as readonly string[]).includes(value);
}
