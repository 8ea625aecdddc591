/// <reference lib="dom" />
/**
 * Consent receipts checked in the browser, offline from the server's answer: each receipt's Ed25519
 * signature against the registry's published JWKS (jose over WebCrypto), its type, and its chain (the
 * SHA-256 of the record's previous receipt). The same checks as the consent module's verifyReceipt,
 * which runs on Node and cannot be bundled for a browser.
 */
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";

export interface Jwks {
  keys: Array<{ kty: string; crv: string; x: string; kid: string }>;
}
export interface ReceiptRow {
  record: string;
  n: number;
  event: string;
  at: string;
  receipt: string;
}
export type Checked = ReceiptRow & { ok: boolean; reason?: string };

const TYP = "learnpool-consent-receipt+jws";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function verifyReceipts(rows: ReceiptRow[], jwks: Jwks): Promise<Checked[]> {
  const sorted = [...rows].sort((a, b) => (a.record < b.record ? -1 : a.record > b.record ? 1 : a.n - b.n));
  const previous = new Map<string, string>();
  const out: Checked[] = [];
  for (const row of sorted) {
    const fail = (reason: string) => out.push({ ...row, ok: false, reason });
    try {
      const header = decodeProtectedHeader(row.receipt);
      if (header.alg !== "EdDSA" || header.typ !== TYP) {
        fail(`typ ${String(header.typ)}, alg ${String(header.alg)}`);
        continue;
      }
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      if (!jwk) {
        fail(`kid ${String(header.kid)}`);
        continue;
      }
      const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "EdDSA");
      const { payload } = await compactVerify(row.receipt, key, { algorithms: ["EdDSA"] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as {
        previous: string | null;
        seq: number;
      };
      const before = previous.get(row.record) ?? null;
      if (claims.previous !== before) {
        fail("chain");
        continue;
      }
      previous.set(row.record, await sha256Hex(row.receipt));
      out.push({ ...row, ok: true });
    } catch (err) {
      fail((err as Error).message);
    }
  }
  return out;
}
