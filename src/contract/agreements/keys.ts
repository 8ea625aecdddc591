/**
 * Participants' Ed25519 keys and the JWS they make (pure: no I/O). Two kinds of JWS:
 * - a party's signature of an agreement: the payload is the agreement's RFC 8785 canonical text,
 *   unencoded and detached (RFC 7797, `b64: false`), so the compact form is `header..signature` and the
 *   registry always verifies against the text it holds, never against one the signer sends;
 * - an event statement (termination, revocation): a small canonical JSON object embedded in the JWS,
 *   because it carries what the registry records (the reason, the signer's time).
 */

import {
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  FlattenedSign,
  flattenedVerify,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";
import { canonicalJson } from "./canonical.js";
import { AgreementError } from "./errors.js";

export const AGREEMENT_JWS_TYP = "learnpool-agreement+jws";
export const EVENT_JWS_TYP = "learnpool-agreement-event+jws";

/** A participant's public Ed25519 key as a JWK (kty OKP, crv Ed25519, x). */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid?: string;
  alg?: "EdDSA";
  use?: "sig";
}

export interface ParticipantKeyPair {
  /** Keep secret: the holder signs with it. */
  privateJwk: JWK;
  publicJwk: PublicJwk;
  /** The RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  kid: string;
}

/** A new Ed25519 key pair for a participant; the kid is the RFC 7638 thumbprint. */
export async function generateParticipantKey(): Promise<ParticipantKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const publicJwk = publicJwkOf(await exportJWK(publicKey));
  const kid = await thumbprint(publicJwk);
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" },
    publicJwk: { ...publicJwk, kid, alg: "EdDSA", use: "sig" },
    kid,
  };
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of a public key. */
export function thumbprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "sha256");
}

/** The public members of an Ed25519 JWK; refuses a private key and any other kind of key. */
export function publicJwkOf(value: unknown): PublicJwk {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new AgreementError(400, "a public key must be a JWK object");
  }
  const jwk = value as Record<string, unknown>;
  if ("d" in jwk) {
    throw new AgreementError(400, "this JWK holds a private key ('d'): register only the public key");
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") {
    throw new AgreementError(400, "a participant key must be an Ed25519 JWK (kty OKP, crv Ed25519)");
  }
  if (typeof jwk.x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) {
    throw new AgreementError(400, "the JWK's 'x' must be the 32-byte Ed25519 public key in base64url");
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x };
}

async function privateKeyOf(privateJwk: JWK) {
  if (privateJwk.kty !== "OKP" || privateJwk.crv !== "Ed25519" || typeof privateJwk.d !== "string") {
    throw new AgreementError(400, "the signing key must be a private Ed25519 JWK (kty OKP, crv Ed25519, d)");
  }
  return importJWK(privateJwk, "EdDSA");
}

/**
 * A party's signature of an agreement: compact JWS with the canonical text as detached, unencoded
 * payload (RFC 7797), `header..signature`.
 */
export async function signAgreement(canonical: string, privateJwk: JWK, kid: string): Promise<string> {
  const signed = await new FlattenedSign(new TextEncoder().encode(canonical))
    .setProtectedHeader({ alg: "EdDSA", kid, typ: AGREEMENT_JWS_TYP, b64: false, crit: ["b64"] })
    .sign(await privateKeyOf(privateJwk));
  return `${signed.protected}..${signed.signature}`;
}

export type EventType = "proposed" | "signed" | "terminated" | "revoked";

/** What a party signs to terminate or revoke an agreement. */
export interface EventStatement {
  agreement: string;
  digest: string;
  event: "terminated" | "revoked";
  reason: string;
  /** When the party signed, ISO 8601. */
  at: string;
}

function eventStatement(
  event: EventStatement["event"],
  agreement: { id: string; digest: string },
  reason: string,
  at: Date,
): EventStatement {
  if (!reason.trim()) throw new AgreementError(400, `a ${event.replace(/d$/, "")} needs a reason`);
  return { agreement: agreement.id, digest: agreement.digest, event, reason, at: at.toISOString() };
}

/** The statement a party signs to terminate an agreement. */
export function terminationStatement(
  agreement: { id: string; digest: string },
  reason: string,
  at: Date = new Date(),
): EventStatement {
  return eventStatement("terminated", agreement, reason, at);
}

/** The statement the operator signs to revoke an agreement. */
export function revocationStatement(
  agreement: { id: string; digest: string },
  reason: string,
  at: Date = new Date(),
): EventStatement {
  return eventStatement("revoked", agreement, reason, at);
}

/** The canonical text of an event statement: what its JWS carries. */
export function canonicalStatement(statement: EventStatement): string {
  return canonicalJson(statement);
}

/** Signs an event statement: compact JWS, payload embedded. */
export async function signEvent(statement: EventStatement, privateJwk: JWK, kid: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalStatement(statement)))
    .setProtectedHeader({ alg: "EdDSA", kid, typ: EVENT_JWS_TYP })
    .sign(await privateKeyOf(privateJwk));
}

/** The protected header of a compact JWS, read without verifying (to find the key). */
export function jwsHeader(
  jws: string,
): { alg?: unknown; kid?: unknown; typ?: unknown } & Record<string, unknown> {
  const parts = typeof jws === "string" ? jws.split(".") : [];
  if (parts.length !== 3)
    throw new AgreementError(400, "a JWS in compact form has three parts separated by '.'");
  try {
    const header = JSON.parse(Buffer.from(parts[0] as string, "base64url").toString("utf8")) as unknown;
    if (header && typeof header === "object" && !Array.isArray(header))
      return header as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AgreementError(400, "the JWS's protected header is not base64url JSON");
}

/** The kid of a JWS's protected header; the header must name EdDSA and the expected typ. */
export function kidOf(jws: string, typ: string): string {
  const header = jwsHeader(jws);
  if (header.alg !== "EdDSA")
    throw new AgreementError(422, `the JWS's alg must be EdDSA, not ${String(header.alg)}`);
  if (header.typ !== typ)
    throw new AgreementError(422, `the JWS's typ must be '${typ}', not '${String(header.typ)}'`);
  if (typeof header.kid !== "string" || !header.kid)
    throw new AgreementError(422, "the JWS's header names no kid");
  return header.kid;
}

/** Whether `jws` is a valid detached signature of `canonical` by `publicJwk`; says why not. */
export async function verifyAgreementSignature(
  jws: string,
  canonical: string,
  publicJwk: PublicJwk,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const [protectedHeader, payload, signature] = jws.split(".");
  if (payload !== "")
    return { ok: false, reason: "the agreement signature must have a detached payload (header..signature)" };
  const header = jwsHeader(jws);
  if (header.b64 !== false || !Array.isArray(header.crit) || !header.crit.includes("b64")) {
    return {
      ok: false,
      reason: 'the agreement signature must be an unencoded payload (b64: false, crit: ["b64"], RFC 7797)',
    };
  }
  try {
    await flattenedVerify(
      { protected: protectedHeader as string, payload: canonical, signature: signature as string },
      await importJWK(publicJwk, "EdDSA"),
      { algorithms: ["EdDSA"] },
    );
    return { ok: true };
  } catch {
    return {
      ok: false,
      reason: "the signature does not verify over the agreement's canonical text with that key",
    };
  }
}

/** The statement of an event JWS, verified with `publicJwk`; says why not. */
export async function verifyEventSignature(
  jws: string,
  publicJwk: PublicJwk,
): Promise<{ ok: true; statement: EventStatement; canonical: string } | { ok: false; reason: string }> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK(publicJwk, "EdDSA"), { algorithms: ["EdDSA"] }));
  } catch {
    return { ok: false, reason: "the event's signature does not verify with that key" };
  }
  const text = new TextDecoder().decode(payload);
  let statement: unknown;
  try {
    statement = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the event's payload is not JSON" };
  }
  const s = statement as Partial<EventStatement> | null;
  if (
    !s ||
    typeof s !== "object" ||
    typeof s.agreement !== "string" ||
    typeof s.digest !== "string" ||
    (s.event !== "terminated" && s.event !== "revoked") ||
    typeof s.reason !== "string" ||
    typeof s.at !== "string" ||
    Number.isNaN(Date.parse(s.at))
  ) {
    return { ok: false, reason: "the event's payload must be {agreement, digest, event, reason, at}" };
  }
  const full = s as EventStatement;
  if (canonicalStatement(full) !== text) {
    return {
      ok: false,
      reason: "the event's payload is not the canonical JSON of {agreement, digest, event, reason, at}",
    };
  }
  return { ok: true, statement: full, canonical: text };
}
