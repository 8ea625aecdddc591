/**
 * The consent registry's own Ed25519 key, which signs receipts. Made at first use; its private half
 * is kept sealed under the master key (privacy's `sealKey`, bound to the registry and the key id), so
 * without a master key the registry refuses to sign — and therefore to record any change.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { Database, Queryable } from "../store/index.js";
import { ConsentError } from "./errors.js";
import type { RegistryJwks } from "./receipts.js";

const BINDING_DOMAIN = "learnpool:consent-registry";

interface KeyRow {
  kid: string;
  public_jwk: string;
  sealed_private: Buffer | Uint8Array;
  created_at: string;
}

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
}

/**
 * The privacy module is loaded when a key is first sealed or opened: it brings the OPRF and anonymization
 * code with it, which commands that never sign (most of the CLI) should not pay for at start.
 */
const privacy = () => import("../privacy/index.js");

/**
 * Not cached in memory: a key made in a transaction that rolls back must never sign, and reading and
 * opening the sealed key costs far less than the signature it makes.
 */
export class RegistryKeys {
  constructor(
    private readonly db: Database,
    private readonly master: () => Buffer | undefined | Promise<Buffer | undefined>,
    private readonly now: () => Date,
  ) {}

  static fromEnvironment(): () => Promise<Buffer | undefined> {
    return async () => (await privacy()).loadMasterKey();
  }

  private async requireMaster(): Promise<Buffer> {
    const master = await this.master();
    if (!master)
      throw new ConsentError(
        503,
        "the consent registry cannot sign receipts: no master key is configured (set LEARNPOOL_MASTER_KEY_FILE or LEARNPOOL_MASTER_KEY; make one with `learnpool keys master-key`), so no consent change is recorded",
      );
    return master;
  }

  /** The key that signs, made (and sealed) at first use inside `tx`. */
  async signing(tx: Queryable): Promise<SigningKey> {
    const master = await this.requireMaster();
    const { openKey, sealKey } = await privacy();
    let row = await tx.one<KeyRow>(
      "SELECT * FROM consent_registry_keys ORDER BY created_at DESC, kid LIMIT 1",
    );
    if (!row && tx.dialect === "postgres") {
      // Two first changes at once must not make two keys: serialize the making.
      await tx.run("SELECT pg_advisory_xact_lock(hashtext(?))", ["learnpool:consent:registry-key"]);
      row = await tx.one<KeyRow>("SELECT * FROM consent_registry_keys ORDER BY created_at DESC, kid LIMIT 1");
    }
    if (!row) {
      const { publicKey, privateKey } = await generateKeyPair("Ed25519", { extractable: true });
      const pub = await exportJWK(publicKey);
      const priv = await exportJWK(privateKey);
      const kid = await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: pub.x as string }, "sha256");
      const sealed = sealKey(master, Buffer.from(priv.d as string, "base64url"), {
        domain: BINDING_DOMAIN,
        keyId: kid,
      });
      row = {
        kid,
        public_jwk: JSON.stringify({ kty: "OKP", crv: "Ed25519", x: pub.x }),
        sealed_private: sealed,
        created_at: this.now().toISOString(),
      };
      await tx.run(
        "INSERT INTO consent_registry_keys (kid, public_jwk, sealed_private, created_at) VALUES (?, ?, ?, ?)",
        [row.kid, row.public_jwk, sealed, row.created_at],
      );
    }
    const d = openKey(master, Buffer.from(row.sealed_private), { domain: BINDING_DOMAIN, keyId: row.kid });
    const pub = JSON.parse(row.public_jwk) as { x: string };
    return { kid: row.kid, privateJwk: { kty: "OKP", crv: "Ed25519", x: pub.x, d: d.toString("base64url") } };
  }

  /** The registry's public keys, to verify receipts with. */
  async jwks(): Promise<RegistryJwks> {
    const rows = await this.db.all<KeyRow>(
      "SELECT kid, public_jwk FROM consent_registry_keys ORDER BY created_at, kid",
    );
    return {
      keys: rows.map((r) => {
        const pub = JSON.parse(r.public_jwk) as { x: string };
        return { kty: "OKP", crv: "Ed25519", x: pub.x, kid: r.kid, alg: "EdDSA", use: "sig" };
      }),
    };
  }
}
