/**
 * The keys of `learnpool deidentify` besides the domain's pseudonymizer: the provider's local key
 * (`--key-file`, 32 bytes in base64), from which re-derived ids and re-keyed extension values come; its
 * stand-in derived from a keyed domain's key when no key file is given; and the stop-gap pseudonymizer
 * of `--key-file` alone (HMAC-SHA256 under a key derived by HKDF from the local key and the domain IRI),
 * for a provider without a key store. The keyed (`keyed.ts`) and OPRF (`oprf.ts`) pseudonymizers of a
 * domain are the real ones; all keep the `Pseudonymizer` contract.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Identifier, identifierText } from "./identifiers.js";
import type { Pseudonymizer } from "./pseudonymizer.js";

export function localHmacPseudonymizer(key: Buffer, domain: string): Pseudonymizer {
  if (key.length !== 32) throw new Error("the key must be 32 bytes");
  const domainKey = Buffer.from(
    hkdfSync("sha256", key, Buffer.alloc(0), `learnpool pseudonym\u0000${domain}`, 32),
  );
  return {
    domain,
    async derive(ids: readonly Identifier[], purpose: string) {
      const out = new Map<string, Buffer>();
      for (const id of ids) {
        const text = identifierText(id);
        out.set(text, createHmac("sha256", domainKey).update(`${purpose}\u0000${text}`).digest());
      }
      return out;
    },
  };
}

/**
 * The local key of a keyed domain's provider that gives no key file: HKDF of the domain key under its
 * own label, unrelated to the domain's pseudonyms (HMAC under the key itself). It follows the key id,
 * like the pseudonyms. Meant for a provider's own domain: with a domain whose key other providers
 * hold too, give --key-file, or they could re-derive this provider's ids and re-keyed values.
 */
export function localKeyOfDomainKey(domainKey: Buffer): Buffer {
  if (domainKey.length !== 32) throw new Error("the domain key must be 32 bytes");
  return Buffer.from(hkdfSync("sha256", domainKey, Buffer.alloc(0), "learnpool deidentify local key v1", 32));
}

/** Reads a key file holding 32 bytes in base64 (surrounding white space ignored); errors never show it. */
export function readKeyFile(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new Error(`--key-file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const key = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== 32)
    throw new Error(`--key-file ${path}: must hold a 32-byte key in base64 (44 characters)`);
  return key;
}
