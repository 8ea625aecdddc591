/**
 * Portal links (pure part). The provider authenticates the learner (or a guardian) and hands them a
 * signed, expiring link to the consent portal: a compact JWS (EdDSA) by one of the provider's
 * registered participant keys, whose claims say who may act on which agreement's records:
 *
 * - `iss` the provider's participant id, `sub` the learner's pseudonym in the agreement's linkage
 *   domain, `agr` the agreement, `aud` the consent registry, `iat`/`exp` (seconds), `nonce`;
 * - `role`: `learner`, or `guardian` with `guardian` = the guardian's pseudonym and relationship as the
 *   provider attests them;
 * - `age`: `{adult: true}` or `{birthYearMonth}` (see minors.ts: the minimum the registry needs).
 *
 * The registry checks the signature against the provider's JWKS, the audience, the times (with a
 * small clock-skew allowance), and that a link changes state at most once (its nonce is recorded).
 */
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { canonicalJson } from "../contract/index.js";
import { ConsentError } from "./errors.js";
import { type AgeClaim, checkAgeClaim } from "./minors.js";
import type { GuardianAttestation } from "./states.js";

export const LINK_TYP = "learnpool-portal-link+jwt";
export const DEFAULT_AUDIENCE = "urn:learnpool:consent-registry";
/** Clock skew tolerated between the provider and the registry. */
export const LINK_CLOCK_SKEW_MS = 60_000;
/** The longest a link may live: it stands for a learner's login. */
export const MAX_LINK_LIFETIME_MS = 60 * 60_000;

export interface PortalLinkClaims {
  iss: string;
  sub: string;
  agr: string;
  aud: string;
  iat: number;
  exp: number;
  nonce: string;
  role: "learner" | "guardian";
  age: AgeClaim;
  guardian?: GuardianAttestation;
}

/** A link the registry has verified. */
export interface PortalLink {
  provider: string;
  learner: string;
  agreement: string;
  role: "learner" | "guardian";
  age: AgeClaim;
  guardian?: GuardianAttestation;
  nonce: string;
  expiresAt: string;
  kid: string;
}

/** A pseudonym: base64url or hex, 16 to 128 characters. Anything else may be an identifier in clear. */
export const PSEUDONYM = /^[A-Za-z0-9_-]{16,128}$/;

export function checkPseudonym(value: unknown, what: string): string {
  if (typeof value !== "string" || !PSEUDONYM.test(value)) {
    throw new ConsentError(
      400,
      `${what} must be a pseudonym of the agreement's linkage domain (16-128 base64url characters), never an identifier in clear`,
    );
  }
  return value;
}

/** Signs a link (what a provider does; also used by tests and the demo). */
export async function signPortalLink(
  claims: PortalLinkClaims,
  privateJwk: JWK,
  kid: string,
): Promise<string> {
  const key = await importJWK(privateJwk, "EdDSA");
  return new CompactSign(new TextEncoder().encode(canonicalJson(claims)))
    .setProtectedHeader({ alg: "EdDSA", kid, typ: LINK_TYP })
    .sign(key);
}

const fail = (message: string) => new ConsentError(401, `portal link refused: ${message}`);

/** The kid of a link's header, after checking it is an EdDSA-signed portal link. */
export function linkKid(jws: string): string {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws.trim());
  } catch {
    throw fail("it is not a compact JWS");
  }
  if (header.alg === "none" || jws.trim().endsWith(".")) throw fail("it is not signed");
  if (header.alg !== "EdDSA") throw fail(`it must be signed with EdDSA, not ${String(header.alg)}`);
  if (header.typ !== LINK_TYP) throw fail(`its type must be ${LINK_TYP}`);
  if (typeof header.kid !== "string") throw fail("its header names no key (kid)");
  return header.kid;
}

/** Verifies the signature with the provider's public key and checks the claims; returns the link. */
export async function verifyPortalLinkWith(
  jws: string,
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string },
  options: { audience: string; now: Date; skewMs?: number; maxLifetimeMs?: number },
): Promise<PortalLink> {
  const kid = linkKid(jws);
  let bytes: Uint8Array;
  try {
    const key = await importJWK(publicJwk, "EdDSA");
    bytes = (await compactVerify(jws.trim(), key, { algorithms: ["EdDSA"] })).payload;
  } catch {
    throw fail("its signature does not verify with the provider's key");
  }
  let claims: Partial<PortalLinkClaims>;
  try {
    claims = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PortalLinkClaims>;
  } catch {
    throw fail("its payload is not JSON");
  }
  return checkLinkClaims(claims, kid, options);
}

/** The claims' checks (pure). */
export function checkLinkClaims(
  claims: Partial<PortalLinkClaims>,
  kid: string,
  options: { audience: string; now: Date; skewMs?: number; maxLifetimeMs?: number },
): PortalLink {
  const skew = options.skewMs ?? LINK_CLOCK_SKEW_MS;
  const now = options.now.getTime();
  if (typeof claims.iss !== "string" || !claims.iss) throw fail("it names no provider (iss)");
  if (typeof claims.agr !== "string" || !claims.agr) throw fail("it names no agreement (agr)");
  if (claims.aud !== options.audience)
    throw fail(`it is meant for ${String(claims.aud)}, not ${options.audience}`);
  if (typeof claims.exp !== "number" || typeof claims.iat !== "number") throw fail("it has no iat and exp");
  if (claims.exp * 1000 + skew <= now)
    throw fail(`it expired at ${new Date(claims.exp * 1000).toISOString()}`);
  if (claims.iat * 1000 - skew > now) throw fail("it is issued in the future (check the provider's clock)");
  if ((claims.exp - claims.iat) * 1000 > (options.maxLifetimeMs ?? MAX_LINK_LIFETIME_MS))
    throw fail("it lives longer than a portal link may (one hour)");
  if (typeof claims.nonce !== "string" || claims.nonce.length < 16 || claims.nonce.length > 128)
    throw fail("its nonce must be 16 to 128 characters");
  if (claims.role !== "learner" && claims.role !== "guardian")
    throw fail("its role must be learner or guardian");
  const learner = checkPseudonym(claims.sub, "the link's subject (sub)");
  const age = checkAgeClaim(claims.age);
  const link: PortalLink = {
    provider: claims.iss,
    learner,
    agreement: claims.agr,
    role: claims.role,
    age,
    nonce: claims.nonce,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    kid,
  };
  if (claims.role === "guardian") {
    const g = claims.guardian as Partial<GuardianAttestation> | undefined;
    if (!g || (g.relationship !== "parent" && g.relationship !== "legal-guardian"))
      throw fail(
        "a guardian's link must name the guardian: {pseudonym, relationship: parent | legal-guardian}",
      );
    const pseudonym = checkPseudonym(g.pseudonym, "the guardian's pseudonym");
    if (pseudonym === learner) throw fail("the guardian cannot be the learner");
    link.guardian = { pseudonym, relationship: g.relationship };
  } else if (claims.guardian !== undefined) {
    throw fail("a learner's link names no guardian");
  }
  return link;
}
