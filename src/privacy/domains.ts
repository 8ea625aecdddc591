/**
 * Pseudonymization domains and their keys. A domain (a provider's own, or an agreement's linkage
 * domain) has an IRI, the homePage of the pseudonymous accounts it gives; a current key and the keys
 * it retired (rotation adds a key and keeps the old ones, so that pseudonyms made under them can still
 * be derived by key id); and, for a linkage domain, the stores (providers) that belong to it. Keys are
 * 32 random bytes sealed under the master key (keys.ts). Every change is in the audit trail, in the
 * same transaction, with key ids and never key material.
 */
import { randomBytes } from "node:crypto";
import type { AuditLog } from "../audit/index.js";
import type { Database, Queryable } from "../store/index.js";
import { DOMAIN_KEY_BYTES, MasterKeyError, openKey, requireMasterKey, sealKey } from "./keys.js";

/** Where domain IRIs live unless configured (LEARNPOOL_DOMAIN_BASE). */
export const DEFAULT_DOMAIN_BASE = "https://learnpool.example";

const DOMAIN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface DomainInfo {
  id: string;
  iri: string;
  createdAt: string;
  /** The id of the key new pseudonyms are made under. */
  currentKeyId: string;
  /** Every key id, oldest first, the current one last. */
  keyIds: string[];
  /** The stores (providers) that belong to the domain. */
  members: string[];
}

/** A decrypted domain key: held in memory only while pseudonyms are derived, never logged. */
export interface DomainKey {
  domainId: string;
  iri: string;
  keyId: string;
  key: Buffer;
}

/** A refusal with the HTTP status that says it (404 unknown, 400 bad input, 409 conflict). */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** The IRI of a domain under a base URL: `<base>/domains/<id>`. */
export function domainIri(id: string, base = DEFAULT_DOMAIN_BASE): string {
  return `${base.replace(/\/+$/, "")}/domains/${id}`;
}

interface KeyRow {
  key_id: string;
  seq: number;
  sealed: Buffer | Uint8Array;
  retired_at: string | null;
}

export class DomainKeys {
  /**
   * `master` is needed only to create, rotate and read keys; listing and membership work without it.
   * `iriBase` is where new domains' IRIs live.
   */
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly options: { master?: Buffer; iriBase?: string } = {},
  ) {}

  private master(): Buffer {
    return this.options.master ?? requireMasterKey({ env: {} });
  }

  async create(
    id: string,
    input: { members?: readonly string[]; iri?: string; actor: string },
  ): Promise<DomainInfo> {
    if (!DOMAIN_ID.test(id)) {
      throw new DomainError(
        400,
        `domain id '${id}' must be 1-63 lower-case letters, digits, '.', '_' or '-'`,
      );
    }
    const master = this.master();
    const iri = input.iri ?? domainIri(id, this.options.iriBase);
    const members = [...new Set(input.members ?? [])];
    const now = new Date().toISOString();
    const keyId = "k1";
    await this.db.transaction(
      async (tx) => {
        if (await tx.one("SELECT id FROM privacy_domains WHERE id = ? OR iri = ?", [id, iri])) {
          throw new DomainError(409, `domain '${id}' (or its IRI) already exists`);
        }
        await this.checkStores(tx, members);
        await tx.run("INSERT INTO privacy_domains (id, iri, created_at) VALUES (?, ?, ?)", [id, iri, now]);
        const sealed = sealKey(master, randomBytes(DOMAIN_KEY_BYTES), { domain: id, keyId });
        await tx.run(
          "INSERT INTO privacy_domain_keys (domain_id, key_id, seq, sealed, created_at) VALUES (?, ?, 1, ?, ?)",
          [id, keyId, sealed, now],
        );
        for (const store of members) {
          await tx.run(
            "INSERT INTO privacy_domain_members (domain_id, store_id, added_at) VALUES (?, ?, ?)",
            [id, store, now],
          );
        }
        await this.audit.append(
          {
            actor: input.actor,
            action: "privacy.domain.create",
            subject: id,
            details: { iri, keyId, members },
          },
          tx,
        );
      },
      { lock: `learnpool:privacy-domain:${id}` },
    );
    return this.require(id);
  }

  /** A new current key; the previous ones are kept, retired, for deriving by key id. */
  async rotate(id: string, actor: string): Promise<DomainInfo> {
    const master = this.master();
    // The current key must open first: rotating under a wrong master key would mix two masters.
    await this.key(id);
    await this.db.transaction(
      async (tx) => {
        const rows = await this.keyRows(tx, id);
        const last = rows[rows.length - 1] as KeyRow;
        const seq = Number(last.seq) + 1;
        const keyId = `k${seq}`;
        const now = new Date().toISOString();
        await tx.run(
          "UPDATE privacy_domain_keys SET retired_at = ? WHERE domain_id = ? AND retired_at IS NULL",
          [now, id],
        );
        await tx.run(
          "INSERT INTO privacy_domain_keys (domain_id, key_id, seq, sealed, created_at) VALUES (?, ?, ?, ?, ?)",
          [id, keyId, seq, sealKey(master, randomBytes(DOMAIN_KEY_BYTES), { domain: id, keyId }), now],
        );
        await this.audit.append(
          {
            actor,
            action: "privacy.domain.rotate",
            subject: id,
            details: { keyId, retired: last.key_id },
          },
          tx,
        );
      },
      { lock: `learnpool:privacy-domain:${id}` },
    );
    return this.require(id);
  }

  async setMembers(
    id: string,
    change: { add?: readonly string[]; remove?: readonly string[]; actor: string },
  ): Promise<DomainInfo> {
    const add = [...new Set(change.add ?? [])];
    const remove = [...new Set(change.remove ?? [])];
    await this.db.transaction(
      async (tx) => {
        await this.requireIn(tx, id);
        await this.checkStores(tx, add);
        const now = new Date().toISOString();
        const added: string[] = [];
        const removed: string[] = [];
        for (const store of add) {
          if (
            await tx.one("SELECT 1 AS x FROM privacy_domain_members WHERE domain_id = ? AND store_id = ?", [
              id,
              store,
            ])
          )
            continue;
          await tx.run(
            "INSERT INTO privacy_domain_members (domain_id, store_id, added_at) VALUES (?, ?, ?)",
            [id, store, now],
          );
          added.push(store);
        }
        for (const store of remove) {
          const { changes } = await tx.run(
            "DELETE FROM privacy_domain_members WHERE domain_id = ? AND store_id = ?",
            [id, store],
          );
          if (changes > 0) removed.push(store);
        }
        if (added.length + removed.length > 0) {
          await this.audit.append(
            {
              actor: change.actor,
              action: "privacy.domain.members",
              subject: id,
              details: { added, removed },
            },
            tx,
          );
        }
      },
      { lock: `learnpool:privacy-domain:${id}` },
    );
    return this.require(id);
  }

  async get(id: string): Promise<DomainInfo | undefined> {
    return this.getIn(this.db, id);
  }

  async require(id: string): Promise<DomainInfo> {
    return this.requireIn(this.db, id);
  }

  async list(): Promise<DomainInfo[]> {
    const rows = await this.db.all<{ id: string }>("SELECT id FROM privacy_domains ORDER BY id");
    const out: DomainInfo[] = [];
    for (const row of rows) out.push(await this.require(row.id));
    return out;
  }

  async isMember(id: string, storeId: string): Promise<boolean> {
    return !!(await this.db.one(
      "SELECT 1 AS x FROM privacy_domain_members WHERE domain_id = ? AND store_id = ?",
      [id, storeId],
    ));
  }

  /** A decrypted key: the current one, or the one named by `keyId` (current or retired). */
  async key(id: string, keyId?: string): Promise<DomainKey> {
    const info = await this.require(id);
    const rows = await this.keyRows(this.db, id);
    const row =
      keyId === undefined ? rows.find((r) => r.retired_at === null) : rows.find((r) => r.key_id === keyId);
    if (!row) throw new DomainError(404, `domain '${id}' has no key '${keyId}'`);
    const key = openKey(this.master(), Buffer.from(row.sealed), { domain: id, keyId: row.key_id });
    return { domainId: id, iri: info.iri, keyId: row.key_id, key };
  }

  private async getIn(q: Queryable, id: string): Promise<DomainInfo | undefined> {
    const domain = await q.one<{ id: string; iri: string; created_at: string }>(
      "SELECT id, iri, created_at FROM privacy_domains WHERE id = ?",
      [id],
    );
    if (!domain) return undefined;
    const keys = await this.keyRows(q, id);
    const members = await q.all<{ store_id: string }>(
      "SELECT store_id FROM privacy_domain_members WHERE domain_id = ? ORDER BY store_id",
      [id],
    );
    const current = keys.find((k) => k.retired_at === null);
    return {
      id: domain.id,
      iri: domain.iri,
      createdAt: domain.created_at,
      currentKeyId: current?.key_id ?? "",
      keyIds: keys.map((k) => k.key_id),
      members: members.map((m) => m.store_id),
    };
  }

  private async requireIn(q: Queryable, id: string): Promise<DomainInfo> {
    const info = await this.getIn(q, id);
    if (!info) throw new DomainError(404, `no pseudonymization domain '${id}'`);
    return info;
  }

  private keyRows(q: Queryable, id: string): Promise<KeyRow[]> {
    return q.all<KeyRow>(
      "SELECT key_id, seq, sealed, retired_at FROM privacy_domain_keys WHERE domain_id = ? ORDER BY seq",
      [id],
    );
  }

  private async checkStores(q: Queryable, stores: readonly string[]): Promise<void> {
    for (const store of stores) {
      if (!(await q.one("SELECT id FROM stores WHERE id = ?", [store]))) {
        throw new DomainError(404, `no store '${store}' (a domain's members are stores)`);
      }
    }
  }
}

export { MasterKeyError };
