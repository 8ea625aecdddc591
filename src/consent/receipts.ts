/**
 * Consent receipts (pure): a compact JWS (EdDSA, Ed25519) whose payload is the RFC 8785 canonical
 * JSON of the record's state after a change, chained to the record's previous receipt by its SHA-256.
 * Signed by the consent registry's own key; anyone holding the registry's JWKS verifies one offline
 * (`verifyReceipt`), e.g. `learnpool consent verify <receipt> --jwks <file>`.
 */
import { createHash } from "node:crypto";
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { canonicalJson } from "../contract/index.js";
import type { ActorRole, ConsentEventType } from "./states.js";

export const RECEIPT_TYP = "learnpool-consent-receipt+jws";

export interface ReceiptPayload {
  type: "ConsentReceipt";
  /** The consent record (urn:uuid). */
  record: string;
  /** The event's number within the record, from 1. */
  seq: number;
  event: ConsentEventType;
  by: ActorRole;
  /** The DPV consent status after the change. */
  state: string;
  /** The data subject: the learner's pseudonym in the agreement's linkage domain. */
  subject: string;
  purposes: string[];
  recipient: string;
  dataCategories: string[];
  agreement: string;
  notice: { id: string; digest: string } | null;
  /** When the registry recorded the change. */
  at: string;
  /** SHA-256 (hex) of the record's previous receipt, null for the first. */
  previous: string | null;
}

export interface RegistryJwks {
  keys: Array<{ kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" }>;
}

/** SHA-256 (hex) of a receipt's compact text: what the next receipt's `previous` holds. */
export function receiptHash(receipt: string): string {
  return createHash("sha256").update(receipt, "utf8").digest("hex");
}

export async function signReceipt(payload: ReceiptPayload, privateJwk: JWK, kid: string): Promise<string> {
  const key = await importJWK(privateJwk, "EdDSA");
  return new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
    .setProtectedHeader({ alg: "EdDSA", kid, typ: RECEIPT_TYP })
    .sign(key);
}

export type ReceiptVerification =
  | { ok: true; payload: ReceiptPayload; kid: string }
  | { ok: false; reason: string };

/**
 * Checks a receipt against the registry's JWKS, offline: the key named by its kid, the Ed25519
 * signature, the type, a payload in RFC 8785 canonical form. With `previous`, also that it follows
 * that receipt of the same record. Never throws.
 */
export async function verifyReceipt(
  receipt: string,
  jwks: RegistryJwks,
  options: { previous?: string } = {},
): Promise<ReceiptVerification> {
  const text = receipt.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(text);
  } catch {
    return { ok: false, reason: "not a compact JWS" };
  }
  if (header.alg !== "EdDSA")
    return { ok: false, reason: `not signed with EdDSA (alg ${String(header.alg)})` };
  if (header.typ !== RECEIPT_TYP)
    return { ok: false, reason: `not a consent receipt (typ ${String(header.typ)})` };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, reason: `key ${String(header.kid)} is not in the registry's JWKS` };
  let bytes: Uint8Array;
  try {
    const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "EdDSA");
    bytes = (await compactVerify(text, key, { algorithms: ["EdDSA"] })).payload;
  } catch {
    return { ok: false, reason: "the signature does not verify" };
  }
  const json = new TextDecoder().decode(bytes);
  let payload: ReceiptPayload;
  try {
    payload = JSON.parse(json) as ReceiptPayload;
  } catch {
    return { ok: false, reason: "the payload is not JSON" };
  }
  if (canonicalJson(payload) !== json)
    return { ok: false, reason: "the payload is not in RFC 8785 canonical form" };
  if (payload.type !== "ConsentReceipt") return { ok: false, reason: "the payload is not a consent receipt" };
  if (options.previous !== undefined) {
    const prev = decodePayload(options.previous);
    if (payload.previous !== receiptHash(options.previous.trim()) || prev?.record !== payload.record)
      return { ok: false, reason: "it does not follow the given previous receipt" };
  }
  return { ok: true, payload, kid: String(header.kid) };
}

/** A receipt's payload, read without verifying (for display); undefined when unreadable. */
export function decodePayload(receipt: string): ReceiptPayload | undefined {
  try {
    const part = receipt.trim().split(".")[1] ?? "";
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as ReceiptPayload;
  } catch {
    return undefined;
  }
}
