import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { AuditLog } from "../audit/index.js";
import { type Database, UniqueViolation } from "../store/index.js";
import type { Agent } from "../xapi/index.js";
import { LrsError } from "./errors.js";
import { isScope, SCOPES, type Scope } from "./scopes.js";

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** A store: one provider's records. No credential of one store ever reads another's. */
export interface Store {
  id: string;
  title: string;
  createdAt: string;
}

export interface CredentialInfo {
  key: string;
  storeId: string;
  scopes: Scope[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Who is calling: the credential, its store and its scopes. */
export interface Principal {
  key: string;
  storeId: string;
  scopes: ReadonlySet<Scope>;
  /** The agent the LRS writes as `authority` on the statements this credential stores. */
  authority: Agent;
}

const STORE_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** A key is the user-id of HTTP Basic: visible ASCII without ':', so that any client can send it. */
const KEY = /^[!-9;-~]{1,128}$/;

/** Secrets are checked with scrypt; verified pairs are remembered briefly so that each request stays cheap. */
const CACHE_TTL_MS = 30_000;

/**
 * A new credential key: 16 base64url characters, never starting with "-", which a command line would
 * take for an option (`learnpool credentials revoke -x…`).
 */
function newCredentialKey(): string {
  for (;;) {
    const key = randomBytes(12).toString("base64url");
    if (!key.startsWith("-")) return key;
  }
}

export class Tenancy {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  /** Counts revocations, so that an authentication that read a credential before one does not cache it. */
  private revocations = 0;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly authorityHomePage: string,
  ) {}

  async createStore(id: string, title: string, actor: string): Promise<Store> {
    if (!STORE_ID.test(id)) {
      throw new LrsError(400, `store id '${id}' must be 1-63 lower-case letters, digits, '.', '_' or '-'`);
    }
    const store = { id, title, createdAt: new Date().toISOString() };
    await this.db
      .transaction(async (tx) => {
        const existing = await tx.one("SELECT id FROM stores WHERE id = ?", [id]);
        if (existing) throw new LrsError(409, `store '${id}' exists already`);
        await tx.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", [
          id,
          title,
          store.createdAt,
        ]);
        await this.audit.append(
          { actor, action: "store.create", subject: `store:${id}`, details: { title } },
          tx,
        );
      })
      .catch((err: unknown) => {
        // Two creations racing past the check: the database's primary key decides.
        throw err instanceof UniqueViolation ? new LrsError(409, `store '${id}' exists already`) : err;
      });
    return store;
  }

  /** Creates the store unless it exists; for `serve --credential` and the demo. */
  async ensureStore(id: string, title: string, actor: string): Promise<Store> {
    const found = await this.getStore(id);
    return found ?? this.createStore(id, title, actor);
  }

  async getStore(id: string): Promise<Store | undefined> {
    const row = await this.db.one<{ id: string; title: string; created_at: string }>(
      "SELECT id, title, created_at FROM stores WHERE id = ?",
      [id],
    );
    return row && { id: row.id, title: row.title, createdAt: row.created_at };
  }

  async listStores(): Promise<Store[]> {
    const rows = await this.db.all<{ id: string; title: string; created_at: string }>(
      "SELECT id, title, created_at FROM stores ORDER BY id",
    );
    return rows.map((r) => ({ id: r.id, title: r.title, createdAt: r.created_at }));
  }

  /**
   * Adds a credential to a store. Without `key`/`secret`, random ones are made. The secret is returned
   * once and only its scrypt hash is kept.
   */
  async addCredential(input: {
    storeId: string;
    scopes?: readonly string[];
    label?: string;
    key?: string;
    secret?: string;
    actor: string;
  }): Promise<{ key: string; secret: string; info: CredentialInfo }> {
    const scopes = [...new Set(input.scopes ?? ["all"])];
    for (const scope of scopes) {
      if (!isScope(scope))
        throw new LrsError(400, `unknown scope '${scope}'; scopes are ${SCOPES.join(", ")}`);
    }
    const key = input.key ?? newCredentialKey();
    const secret = input.secret ?? randomBytes(24).toString("base64url");
    if (!KEY.test(key))
      throw new LrsError(400, "a credential key is 1-128 visible ASCII characters other than ':'");
    // Chosen secrets are the operator's call (a test harness may use short ones); made ones are 32 characters.
    if (secret.length === 0 || secret.length > 1024) {
      throw new LrsError(400, "a credential secret has 1 to 1024 characters");
    }
    const info: CredentialInfo = {
      key,
      storeId: input.storeId,
      scopes: scopes as Scope[],
      label: input.label ?? null,
      createdAt: new Date().toISOString(),
      revokedAt: null,
    };
    const secretHash = await hashSecret(secret);
    await this.db
      .transaction(async (tx) => {
        if (!(await tx.one("SELECT id FROM stores WHERE id = ?", [input.storeId]))) {
          throw new LrsError(404, `no store '${input.storeId}'`);
        }
        if (await tx.one("SELECT key FROM credentials WHERE key = ?", [key])) {
          throw new LrsError(409, `credential '${key}' exists already`);
        }
        await tx.run(
          "INSERT INTO credentials (key, store_id, secret_hash, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
          [key, input.storeId, secretHash, info.scopes.join(" "), info.label, info.createdAt],
        );
        await this.audit.append(
          {
            actor: input.actor,
            action: "credential.add",
            subject: `credential:${key}`,
            details: { store: input.storeId, scopes: info.scopes, label: info.label },
          },
          tx,
        );
      })
      .catch((err: unknown) => {
        throw err instanceof UniqueViolation ? new LrsError(409, `credential '${key}' exists already`) : err;
      });
    return { key, secret, info };
  }

  /** Adds the credential, or checks that an existing one has this secret and store (serve --credential). */
  async ensureCredential(input: {
    storeId: string;
    key: string;
    secret: string;
    actor: string;
  }): Promise<void> {
    const existing = await this.db.one<{ store_id: string; revoked_at: string | null }>(
      "SELECT store_id, revoked_at FROM credentials WHERE key = ?",
      [input.key],
    );
    if (!existing) {
      await this.addCredential({ ...input, scopes: ["all"], label: "from serve --credential" });
      return;
    }
    if (existing.revoked_at)
      throw new LrsError(409, `credential '${input.key}' was revoked; choose another key`);
    if (existing.store_id !== input.storeId) {
      throw new LrsError(409, `credential '${input.key}' belongs to store '${existing.store_id}'`);
    }
    if (!(await this.authenticate(input.key, input.secret))) {
      throw new LrsError(409, `credential '${input.key}' exists with another secret`);
    }
  }

  async listCredentials(storeId?: string): Promise<CredentialInfo[]> {
    const rows = await this.db.all<{
      key: string;
      store_id: string;
      scopes: string;
      label: string | null;
      created_at: string;
      revoked_at: string | null;
    }>(
      storeId
        ? "SELECT key, store_id, scopes, label, created_at, revoked_at FROM credentials WHERE store_id = ? ORDER BY created_at, key"
        : "SELECT key, store_id, scopes, label, created_at, revoked_at FROM credentials ORDER BY store_id, created_at, key",
      storeId ? [storeId] : [],
    );
    return rows.map((r) => ({
      key: r.key,
      storeId: r.store_id,
      scopes: r.scopes.split(" ").filter(isScope),
      label: r.label,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  async revokeCredential(key: string, actor: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.one<{ revoked_at: string | null; store_id: string }>(
        "SELECT revoked_at, store_id FROM credentials WHERE key = ?",
        [key],
      );
      if (!row) throw new LrsError(404, `no credential '${key}'`);
      if (row.revoked_at) throw new LrsError(409, `credential '${key}' is revoked already`);
      await tx.run("UPDATE credentials SET revoked_at = ? WHERE key = ?", [new Date().toISOString(), key]);
      await this.audit.append(
        {
          actor,
          action: "credential.revoke",
          subject: `credential:${key}`,
          details: { store: row.store_id },
        },
        tx,
      );
    });
    this.revocations++;
    for (const [cacheKey, entry] of this.verified)
      if (entry.principal.key === key) this.verified.delete(cacheKey);
  }

  /** The principal for a key and secret, or undefined when they do not match a live credential. */
  async authenticate(key: string, secret: string): Promise<Principal | undefined> {
    const cacheKey = createHash("sha256").update(`${key}\u0000${secret}`).digest("base64");
    const cached = this.verified.get(cacheKey);
    const now = Date.now();
    if (cached && cached.until > now) return cached.principal;
    const revocations = this.revocations;
    const row = await this.db.one<{
      store_id: string;
      secret_hash: string;
      scopes: string;
      revoked_at: string | null;
    }>("SELECT store_id, secret_hash, scopes, revoked_at FROM credentials WHERE key = ?", [key]);
    if (!row || row.revoked_at || !(await verifySecret(secret, row.secret_hash))) {
      this.verified.delete(cacheKey);
      return undefined;
    }
    const principal: Principal = {
      key,
      storeId: row.store_id,
      scopes: new Set(row.scopes.split(" ").filter(isScope)),
      authority: { objectType: "Agent", account: { homePage: this.authorityHomePage, name: key } },
    };
    if (this.verified.size > 10_000) this.verified.clear();
    // A revocation committed while the secret was being checked may concern this credential: no caching.
    if (revocations === this.revocations)
      this.verified.set(cacheKey, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, 32);
  return `scrypt$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scrypt(secret, Buffer.from(salt, "base64"), expected.length);
  return timingSafeEqual(actual, expected);
}
