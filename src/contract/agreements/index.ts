/**
 * Participants and signed multi-party agreements (part of module `contract`). Owns:
 * - the participants registry: one participant per store (operator, provider or consumer), its data
 *   space IRI, its Ed25519 public keys (added, revoked, published as a JWKS) — `participants.ts`;
 * - the agreement document: an ODRL Agreement wrapped with Learnpool's terms, fixed at proposal,
 *   identified by its RFC 8785 canonical text and SHA-256 digest — `document.ts` (pure);
 * - the JWS parties make: detached RFC 7797 signatures of the canonical document, embedded signed
 *   statements for termination and revocation, key generation — `keys.ts` (pure);
 * - the events (proposed, signed, terminated, revoked), hash-chained per agreement, and the status
 *   they add up to — `status.ts` (pure);
 * - `AgreementRegistry`, the service over the database and the audit trail — `registry.ts`.
 */
export {
  type AgreementDocument,
  type AgreementDraft,
  buildDocument,
  canonicalText,
  checkParties,
  type DocumentParty,
  digestOf,
  mayPropose,
  PARTY_ROLES,
  type Party,
  type PartyRole,
  policyOfDocument,
} from "./document.js";
export { AgreementError } from "./errors.js";
export {
  AGREEMENT_JWS_TYP,
  canonicalStatement,
  EVENT_JWS_TYP,
  type EventStatement,
  type EventType,
  generateParticipantKey,
  jwsHeader,
  type ParticipantKeyPair,
  type PublicJwk,
  publicJwkOf,
  revocationStatement,
  signAgreement,
  signEvent,
  terminationStatement,
  thumbprint,
  verifyAgreementSignature,
  verifyEventSignature,
} from "./keys.js";
export {
  categoryIri,
  defaultIri,
  type Jwks,
  PARTICIPANT_ROLES,
  type Participant,
  type ParticipantCategory,
  type ParticipantKey,
  ParticipantRegistry,
  type ParticipantRole,
} from "./participants.js";
export {
  type Agreement,
  AgreementRegistry,
  type AgreementVerification,
  type EndListener,
  MAX_CLOCK_SKEW_MS,
} from "./registry.js";
export {
  type AgreementEvent,
  type AgreementState,
  type AgreementStatus,
  computeStatus,
  eventHash,
} from "./status.js";
