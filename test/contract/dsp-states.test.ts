import { describe, expect, it } from "vitest";
import {
  DspProtocolError,
  NEGOTIATION_MESSAGES,
  NEGOTIATION_STATES,
  type NegotiationMessage,
  type NegotiationState,
  negotiationTransition,
  type Side,
  TRANSFER_MESSAGES,
  TRANSFER_STATES,
  type TransferMessage,
  type TransferState,
  transferTransition,
} from "../../src/contract/dsp/index.js";

// The allowed transitions, written out independently of the implementation's table, from DSP 2025-1's
// state machine figures (C: consumer, P: provider, "start": no process yet). Termination: either side
// from every non-final state (the protocol text: "can be sent at any state of a CN").
const NEGOTIATION_ALLOWED = `
start ContractRequestMessage C REQUESTED
start ContractOfferMessage P OFFERED
REQUESTED ContractOfferMessage P OFFERED
REQUESTED ContractAgreementMessage P AGREED
OFFERED ContractRequestMessage C REQUESTED
OFFERED ContractNegotiationEventMessage:ACCEPTED C ACCEPTED
ACCEPTED ContractAgreementMessage P AGREED
AGREED ContractAgreementVerificationMessage C VERIFIED
VERIFIED ContractNegotiationEventMessage:FINALIZED P FINALIZED
REQUESTED ContractNegotiationTerminationMessage C TERMINATED
REQUESTED ContractNegotiationTerminationMessage P TERMINATED
OFFERED ContractNegotiationTerminationMessage C TERMINATED
OFFERED ContractNegotiationTerminationMessage P TERMINATED
ACCEPTED ContractNegotiationTerminationMessage C TERMINATED
ACCEPTED ContractNegotiationTerminationMessage P TERMINATED
AGREED ContractNegotiationTerminationMessage C TERMINATED
AGREED ContractNegotiationTerminationMessage P TERMINATED
VERIFIED ContractNegotiationTerminationMessage C TERMINATED
VERIFIED ContractNegotiationTerminationMessage P TERMINATED
`;

const TRANSFER_ALLOWED = `
start TransferRequestMessage C REQUESTED
REQUESTED TransferStartMessage P STARTED
REQUESTED TransferTerminationMessage C TERMINATED
REQUESTED TransferTerminationMessage P TERMINATED
STARTED TransferCompletionMessage C COMPLETED
STARTED TransferCompletionMessage P COMPLETED
STARTED TransferSuspensionMessage C SUSPENDED
STARTED TransferSuspensionMessage P SUSPENDED
STARTED TransferTerminationMessage C TERMINATED
STARTED TransferTerminationMessage P TERMINATED
SUSPENDED TransferStartMessage C STARTED
SUSPENDED TransferStartMessage P STARTED
SUSPENDED TransferTerminationMessage C TERMINATED
SUSPENDED TransferTerminationMessage P TERMINATED
`;

function table(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.trim().split("\n")) {
    const [from, message, side, to] = line.trim().split(/\s+/) as [string, string, string, string];
    map.set(`${from} ${message} ${side}`, to);
  }
  return map;
}

const SIDES: [Side, string][] = [
  ["consumer", "C"],
  ["provider", "P"],
];

describe("DSP negotiation state machine", () => {
  const allowed = table(NEGOTIATION_ALLOWED);
  const cases: [NegotiationState | undefined, NegotiationMessage, Side, string, string | undefined][] = [];
  for (const from of [undefined, ...NEGOTIATION_STATES])
    for (const message of NEGOTIATION_MESSAGES)
      for (const [side, letter] of SIDES)
        cases.push([from, message, side, letter, allowed.get(`${from ?? "start"} ${message} ${letter}`)]);

  it("covers every (state, message, sender): 8 × 7 × 2", () => expect(cases).toHaveLength(112));

  it.each(cases)("%s + %s from the %s", (from, message, side, _letter, to) => {
    if (to) {
      expect(negotiationTransition(from, message, side)).toBe(to);
      return;
    }
    let error: unknown;
    try {
      negotiationTransition(from, message, side);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DspProtocolError);
    const e = error as DspProtocolError;
    expect(e.status).toBe(400);
    expect(e.message).toContain(message);
    expect(e.message).toContain(`the ${side}`);
    if (from) expect(e.message).toContain(`in state ${from}`);
  });

  it("the final states accept nothing", () => {
    for (const from of ["FINALIZED", "TERMINATED"] as const)
      for (const message of NEGOTIATION_MESSAGES)
        for (const [side] of SIDES)
          expect(() => negotiationTransition(from, message, side)).toThrow(/in state/);
  });
});

describe("DSP transfer state machine", () => {
  const allowed = table(TRANSFER_ALLOWED);
  const cases: [TransferState | undefined, TransferMessage, Side, string, string | undefined][] = [];
  for (const from of [undefined, ...TRANSFER_STATES])
    for (const message of TRANSFER_MESSAGES)
      for (const [side, letter] of SIDES)
        cases.push([from, message, side, letter, allowed.get(`${from ?? "start"} ${message} ${letter}`)]);

  it("covers every (state, message, sender): 6 × 5 × 2", () => expect(cases).toHaveLength(60));

  it.each(cases)("%s + %s from the %s", (from, message, side, _letter, to) => {
    if (to) expect(transferTransition(from, message, side)).toBe(to);
    else
      expect(() => transferTransition(from, message, side)).toThrow(
        from
          ? new RegExp(`${message} from the ${side} is not allowed in state ${from}`)
          : /to start a transfer/,
      );
  });
});
