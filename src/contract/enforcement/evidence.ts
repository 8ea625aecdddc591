/**
 * Signed evidence of deletion: a compact JWS (EdDSA) by the duty's assignee over the RFC 8785 canonical
 * JSON of {agreement, duty, deletedAt, deleted}. Verified only with the assignee's registered public
 * keys: a signature by another party, a payload not in canonical form, or one naming another
 * agreement or duty is refused.
 */

import { CompactSign, compactVerify, importJWK, type JWK } from "jose";
import { canonicalJson } from "../agreements/canonical.js";

// CommonJS under NodeNext: the default import is the function itself (its declaration says otherwise).

export const DELETION_JWS_TYP = "learnpool-deletion+jws";

export interface DeletionStatement {
  agreement: string;
  /** The duty's IRI (the ODRL delete duty). */
  duty: string;
  /** ISO 8601: when the data were deleted. */
  deletedAt: string;
  /** What was deleted: dataset versions, copies, derived files. */
  deleted: string[];
}

/** The canonical text a consumer signs. */
export function canonicalDeletion(statement: DeletionStatement): string {
  return canonicalJson({
    agreement: statement.agreement,
    duty: statement.duty,
    deletedAt: statement.deletedAt,
    deleted: statement.deleted,
  });
}

/** Signs a deletion statement with a participant's private Ed25519 JWK (what the consumer runs). */
export async function signDeletion(
  statement: DeletionStatement,
  privateJwk: JWK,
  kid?: string,
): Promise<string> {
  const key = await importJWK(privateJwk, "EdDSA");
  return new CompactSign(new TextEncoder().encode(canonicalDeletion(statement)))
    .setProtectedHeader({
      alg: "EdDSA",
      typ: DELETION_JWS_TYP,
      ...((kid ?? privateJwk.kid) ? { kid: kid ?? privateJwk.kid } : {}),
    })
    .sign(key);
}

export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Verifies `jws` against the assignee's public keys (the one its header names by kid, or each in
 * turn), then its payload: canonical, of this agreement and duty, deleted at a real time.
 */
export async function verifyDeletion(
  jws: unknown,
  expected: { agreement: string; duty: string },
  publicKeys: readonly (JWK & { kid?: string })[],
): Promise<Verified<DeletionStatement>> {
  if (typeof jws !== "string" || jws.split(".").length !== 3)
    return { ok: false, reason: "the evidence of deletion is a compact JWS (header.payload.signature)" };
  if (publicKeys.length === 0) return { ok: false, reason: "the assignee has no registered public key" };
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(jws.split(".")[0]!, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
  } catch {
    return { ok: false, reason: "the JWS's protected header is not base64url JSON" };
  }
  if (header.alg !== "EdDSA")
    return { ok: false, reason: `the JWS's alg must be EdDSA, not ${String(header.alg)}` };
  const candidates =
    typeof header.kid === "string" ? publicKeys.filter((k) => k.kid === header.kid) : [...publicKeys];
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `the key ${String(header.kid)} is not a registered key of the duty's assignee`,
    };
  let payload: Uint8Array | undefined;
  for (const jwk of candidates) {
    try {
      ({ payload } = await compactVerify(jws, await importJWK(jwk, "EdDSA"), { algorithms: ["EdDSA"] }));
      break;
    } catch {
      // the next key, if any
    }
  }
  if (!payload)
    return {
      ok: false,
      reason: "the signature does not verify with any registered key of the duty's assignee",
    };
  const text = new TextDecoder().decode(payload);
  let statement: Partial<DeletionStatement>;
  try {
    statement = JSON.parse(text) as Partial<DeletionStatement>;
  } catch {
    return { ok: false, reason: "the evidence's payload is not JSON" };
  }
  const deleted = statement?.deleted;
  if (
    !statement ||
    typeof statement.agreement !== "string" ||
    typeof statement.duty !== "string" ||
    typeof statement.deletedAt !== "string" ||
    Number.isNaN(Date.parse(statement.deletedAt)) ||
    !Array.isArray(deleted) ||
    deleted.length === 0 ||
    !deleted.every((d) => typeof d === "string" && d.length > 0)
  )
    return {
      ok: false,
      reason: "the evidence's payload must be {agreement, duty, deletedAt, deleted: [what, …]}",
    };
  const full = statement as DeletionStatement;
  if (canonicalDeletion(full) !== text)
    return {
      ok: false,
      reason:
        "the evidence's payload is not the RFC 8785 canonical JSON of {agreement, duty, deletedAt, deleted}",
    };
  if (full.agreement !== expected.agreement)
    return { ok: false, reason: `the evidence names agreement ${full.agreement}, not ${expected.agreement}` };
  if (full.duty !== expected.duty)
    return { ok: false, reason: `the evidence names duty ${full.duty}, not ${expected.duty}` };
  return { ok: true, value: full };
}
