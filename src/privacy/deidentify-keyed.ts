/**
 * A stop-gap keyed pseudonymizer for `learnpool deidentify --key-file`: HMAC-SHA256 under a key
 * derived (HKDF) from the provider's 32-byte local key and the domain IRI, and the local key of
 * re-derived ids derived apart from it. The keyed pseudonymizer with key ids, rotation and keys
 * encrypted at rest replaces this when it is wired; both keep the `Pseudonymizer` contract.
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
