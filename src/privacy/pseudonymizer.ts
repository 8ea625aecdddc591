/**
 * What de-identification needs from pseudonymization, whichever way the keys are held: for each
 * learner's identifier and a purpose (`pseudonym`, `time-offset`…), a secret derived under the key of
 * a pseudonymization domain, the same at every provider of that domain and unknown to anyone without
 * the key. Keyed mode (HMAC-SHA256, the provider holds the domain key) and OPRF mode (RFC 9497: the
 * service holds the key, the provider blinds) both give one.
 */
import type { Identifier } from "./identifiers.js";

export interface Pseudonymizer {
  /** The domain's IRI: the homePage of the pseudonymous accounts it gives. */
  readonly domain: string;
  /**
   * A 32-byte secret per identifier, keyed by `identifierText(id)`, derived for `purpose` (part of
   * the input, so that purposes give unrelated values). Batched, since OPRF mode asks a service.
   */
  derive(ids: readonly Identifier[], purpose: string): Promise<Map<string, Buffer>>;
}

/** A learner's pseudonym as it appears in accounts: the first 16 bytes of the derived secret, base64url. */
export function pseudonymText(secret: Buffer): string {
  return secret.subarray(0, 16).toString("base64url");
}
