/**
 * Keyed pseudonyms: HMAC-SHA256 under a domain's key of `purpose ‖ 0x00 ‖ identifierText`, for a
 * provider that holds its domain's key (its own domain, or a domain whose key it was given). The
 * same identifier gives the same secret under one key, unrelated ones under two keys or two purposes,
 * and nobody without the key can tell which identifier a pseudonym stands for (unlike a bare hash, a
 * dictionary of e-mails does not reverse it).
 */
import { createHmac } from "node:crypto";
import type { DomainKey, DomainKeys } from "./domains.js";
import { type Identifier, identifierText } from "./identifiers.js";
import type { Pseudonymizer } from "./pseudonymizer.js";

const SEPARATOR = Buffer.of(0);

/** The keyed secret of one identifier's text for a purpose. */
export function keyedSecret(key: Buffer, purpose: string, text: string): Buffer {
  return createHmac("sha256", key).update(purpose, "utf8").update(SEPARATOR).update(text, "utf8").digest();
}

export class HmacPseudonymizer implements Pseudonymizer {
  readonly domain: string;
  /** Which of the domain's keys the secrets are made under (recorded beside a transfer). */
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: DomainKey) {
    this.domain = key.iri;
    this.keyId = key.keyId;
    this.#key = key.key;
  }

  /** Under the domain's current key, or the one named by `keyId` (a retired key, to re-derive old pseudonyms). */
  static async forDomain(domains: DomainKeys, domainId: string, keyId?: string): Promise<HmacPseudonymizer> {
    return new HmacPseudonymizer(await domains.key(domainId, keyId));
  }

  deriveSync(ids: readonly Identifier[], purpose: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const id of ids) {
      const text = identifierText(id);
      if (!out.has(text)) out.set(text, keyedSecret(this.#key, purpose, text));
    }
    return out;
  }

  async derive(ids: readonly Identifier[], purpose: string): Promise<Map<string, Buffer>> {
    return this.deriveSync(ids, purpose);
  }

  /** Keeps the key out of logs and inspection. */
  toJSON(): Record<string, string> {
    return { domain: this.domain, keyId: this.keyId };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `HmacPseudonymizer(${this.domain}, ${this.keyId})`;
  }
}
