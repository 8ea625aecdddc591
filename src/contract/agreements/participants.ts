/**
 * The participants of the data space (one per store: a participant is known by its store id) and
 * their Ed25519 public keys. A key is never deleted nor changed: it may only be revoked, once, after
 * which it verifies no new signature (those made before stay verifiable, so the key stays stored).
 * The operator assigns participants to categories (collections such as public research in
 * education): a consent given to a category counts for its members at the instant asked, and the
 * catalog's access policies see them as ODRL partOf. A category is added, and removed once; never
 * deleted (migration 12).
 */
import type { AuditLog } from "../../audit/index.js";
import { type Database, type Queryable, UniqueViolation } from "../../store/index.js";
import { LP } from "../odrl/vocab.js";
import { AgreementError } from "./errors.js";
import { type PublicJwk, publicJwkOf, thumbprint } from "./keys.js";

export type ParticipantRole = "operator" | "provider" | "consumer";
export const PARTICIPANT_ROLES: readonly ParticipantRole[] = ["operator", "provider", "consumer"];

export interface Participant {
  /** Its store id. */
  id: string;
  /** Its ODRL party IRI and Dataspace Protocol participantId. */
  iri: string;
  role: ParticipantRole;
  title: string;
  createdAt: string;
}

export interface ParticipantKey {
  kid: string;
  participant: string;
  publicJwk: PublicJwk;
  createdAt: string;
  revokedAt: string | null;
}

export interface Jwks {
  keys: Array<PublicJwk & { kid: string; alg: "EdDSA"; use: "sig" }>;
}

export const defaultIri = (id: string) => `urn:learnpool:participant:${id}`;

interface ParticipantRow {
  id: string;
  iri: string;
  role: ParticipantRole;
  title: string;
  created_at: string;
}
interface KeyRow {
  kid: string;
  participant: string;
  public_jwk: string;
  created_at: string;
  revoked_at: string | null;
}

const fromRow = (r: ParticipantRow): Participant => ({
  id: r.id,
  iri: r.iri,
  role: r.role,
  title: r.title,
  createdAt: r.created_at,
});
export const keyFromRow = (r: KeyRow): ParticipantKey => ({
  kid: r.kid,
  participant: r.participant,
  publicJwk: JSON.parse(r.public_jwk) as PublicJwk,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

const IRI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]+$/;

/** A participant's membership of a category, from when it was added until it was removed (if it was). */
export interface ParticipantCategory {
  participant: string;
  /** The category's IRI (`lp:PublicResearchInEducation` is expanded). */
  category: string;
  addedAt: string;
  addedBy: string;
  removedAt: string | null;
  removedBy: string | null;
}

interface CategoryRow {
  participant: string;
  category: string;
  added_at: string;
  added_by: string;
  removed_at: string | null;
  removed_by: string | null;
}
const categoryFromRow = (r: CategoryRow): ParticipantCategory => ({
  participant: r.participant,
  category: r.category,
  addedAt: r.added_at,
  addedBy: r.added_by,
  removedAt: r.removed_at,
  removedBy: r.removed_by,
});

/** A category IRI as stored: `lp:` names are expanded to Learnpool's namespace; anything else must be an absolute IRI. */
export function categoryIri(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new AgreementError(400, "a category is an IRI (e.g. lp:PublicResearchInEducation)");
  const v = value.trim();
  const iri = v.startsWith("lp:") ? `${LP}${v.slice(3)}` : v;
  if (!IRI.test(iri)) throw new AgreementError(400, `category '${v}' is not an absolute IRI`);
  return iri;
}

export class ParticipantRegistry {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Registers a store's participant. At most one participant is the operator. */
  async register(
    input: { id: string; role: ParticipantRole; title?: string; iri?: string },
    actor: string,
  ): Promise<Participant> {
    if (!PARTICIPANT_ROLES.includes(input.role)) {
      throw new AgreementError(
        400,
        `a participant's role is operator, provider or consumer, not '${input.role}'`,
      );
    }
    const iri = input.iri ?? defaultIri(input.id);
    if (!IRI.test(iri)) throw new AgreementError(400, `'${iri}' is not an absolute IRI`);
    const participant: Participant = {
      id: input.id,
      iri,
      role: input.role,
      title: input.title ?? input.id,
      createdAt: this.now().toISOString(),
    };
    try {
      await this.db.transaction(
        async (tx) => {
          if (!(await tx.one("SELECT id FROM stores WHERE id = ?", [input.id]))) {
            throw new AgreementError(
              404,
              `no store '${input.id}': a participant is a store of the LRS, create it first`,
            );
          }
          if (await tx.one("SELECT id FROM participants WHERE id = ?", [input.id])) {
            throw new AgreementError(409, `participant '${input.id}' is registered already`);
          }
          const sameIri = await tx.one<{ id: string }>("SELECT id FROM participants WHERE iri = ?", [iri]);
          if (sameIri) throw new AgreementError(409, `IRI ${iri} is participant '${sameIri.id}''s already`);
          if (input.role === "operator") {
            const op = await tx.one<{ id: string }>("SELECT id FROM participants WHERE role = 'operator'");
            if (op)
              throw new AgreementError(409, `the operator is '${op.id}' already; there is one operator`);
          }
          await tx.run("INSERT INTO participants (id, iri, role, title, created_at) VALUES (?, ?, ?, ?, ?)", [
            participant.id,
            participant.iri,
            participant.role,
            participant.title,
            participant.createdAt,
          ]);
          await this.audit.append(
            {
              actor,
              action: "participant.register",
              subject: `participant:${participant.id}`,
              details: { iri, role: participant.role, title: participant.title },
            },
            tx,
          );
        },
        { lock: "learnpool:participants" },
      );
    } catch (err) {
      if (err instanceof UniqueViolation)
        throw new AgreementError(409, `participant '${input.id}' is registered already`);
      throw err;
    }
    return participant;
  }

  async get(id: string, q: Queryable = this.db): Promise<Participant | undefined> {
    const row = await q.one<ParticipantRow>("SELECT * FROM participants WHERE id = ?", [id]);
    return row && fromRow(row);
  }

  async byIri(iri: string): Promise<Participant | undefined> {
    const row = await this.db.one<ParticipantRow>("SELECT * FROM participants WHERE iri = ?", [iri]);
    return row && fromRow(row);
  }

  async list(): Promise<Participant[]> {
    return (await this.db.all<ParticipantRow>("SELECT * FROM participants ORDER BY id")).map(fromRow);
  }

  async operator(): Promise<Participant | undefined> {
    const row = await this.db.one<ParticipantRow>("SELECT * FROM participants WHERE role = 'operator'");
    return row && fromRow(row);
  }

  /** Adds a public key; its kid is its RFC 7638 thumbprint (a kid given with it must agree). */
  async addKey(participantId: string, jwk: unknown, actor: string): Promise<ParticipantKey> {
    const publicJwk = publicJwkOf(jwk);
    const kid = await thumbprint(publicJwk);
    const given = (jwk as { kid?: unknown }).kid;
    if (given !== undefined && given !== kid) {
      throw new AgreementError(
        400,
        `the JWK's kid '${String(given)}' is not its RFC 7638 thumbprint '${kid}'`,
      );
    }
    const key: ParticipantKey = {
      kid,
      participant: participantId,
      publicJwk,
      createdAt: this.now().toISOString(),
      revokedAt: null,
    };
    await this.db.transaction(
      async (tx) => {
        if (!(await this.get(participantId, tx)))
          throw new AgreementError(404, `no participant '${participantId}'`);
        const existing = await tx.one<{ participant: string }>(
          "SELECT participant FROM participant_keys WHERE kid = ?",
          [kid],
        );
        if (existing) {
          throw new AgreementError(
            409,
            existing.participant === participantId
              ? `key ${kid} is registered already`
              : `key ${kid} belongs to another participant`,
          );
        }
        await tx.run(
          "INSERT INTO participant_keys (kid, participant, public_jwk, created_at) VALUES (?, ?, ?, ?)",
          [kid, participantId, JSON.stringify(publicJwk), key.createdAt],
        );
        await this.audit.append(
          { actor, action: "participant.key.add", subject: `participant:${participantId}`, details: { kid } },
          tx,
        );
      },
      { lock: "learnpool:participants" },
    );
    return key;
  }

  /** Revokes a key from now on; signatures it made before stay valid. */
  async revokeKey(participantId: string, kid: string, actor: string): Promise<ParticipantKey> {
    return this.db.transaction(
      async (tx) => {
        const row = await tx.one<KeyRow>("SELECT * FROM participant_keys WHERE kid = ? AND participant = ?", [
          kid,
          participantId,
        ]);
        if (!row) throw new AgreementError(404, `participant '${participantId}' has no key ${kid}`);
        if (row.revoked_at) throw new AgreementError(409, `key ${kid} was revoked at ${row.revoked_at}`);
        const revokedAt = this.now().toISOString();
        await tx.run("UPDATE participant_keys SET revoked_at = ? WHERE kid = ?", [revokedAt, kid]);
        await this.audit.append(
          {
            actor,
            action: "participant.key.revoke",
            subject: `participant:${participantId}`,
            details: { kid },
          },
          tx,
        );
        return { ...keyFromRow(row), revokedAt };
      },
      { lock: "learnpool:participants" },
    );
  }

  /** The operator assigns a participant to a category; 409 when it is in it already. */
  async categorize(participantId: string, category: string, actor: string): Promise<ParticipantCategory> {
    const iri = categoryIri(category);
    const made: ParticipantCategory = {
      participant: participantId,
      category: iri,
      addedAt: this.now().toISOString(),
      addedBy: actor,
      removedAt: null,
      removedBy: null,
    };
    try {
      await this.db.transaction(
        async (tx) => {
          if (!(await this.get(participantId, tx)))
            throw new AgreementError(404, `no participant '${participantId}'`);
          if (
            await tx.one(
              "SELECT seq FROM participant_categories WHERE participant = ? AND category = ? AND removed_at IS NULL",
              [participantId, iri],
            )
          )
            throw new AgreementError(409, `participant '${participantId}' is in category ${iri} already`);
          await tx.run(
            "INSERT INTO participant_categories (participant, category, added_at, added_by) VALUES (?, ?, ?, ?)",
            [participantId, iri, made.addedAt, actor],
          );
          await this.audit.append(
            {
              actor,
              action: "participant.category.add",
              subject: `participant:${participantId}`,
              details: { category: iri },
            },
            tx,
          );
        },
        { lock: "learnpool:participants" },
      );
    } catch (err) {
      if (err instanceof UniqueViolation)
        throw new AgreementError(409, `participant '${participantId}' is in category ${iri} already`);
      throw err;
    }
    return made;
  }

  /** Takes a participant out of a category from now on (its membership before stays recorded). */
  async uncategorize(participantId: string, category: string, actor: string): Promise<ParticipantCategory> {
    const iri = categoryIri(category);
    return this.db.transaction(
      async (tx) => {
        const row = await tx.one<CategoryRow & { seq: number | string }>(
          "SELECT * FROM participant_categories WHERE participant = ? AND category = ? AND removed_at IS NULL",
          [participantId, iri],
        );
        if (!row) throw new AgreementError(404, `participant '${participantId}' is not in category ${iri}`);
        const removedAt = this.now().toISOString();
        await tx.run("UPDATE participant_categories SET removed_at = ?, removed_by = ? WHERE seq = ?", [
          removedAt,
          actor,
          Number(row.seq),
        ]);
        await this.audit.append(
          {
            actor,
            action: "participant.category.remove",
            subject: `participant:${participantId}`,
            details: { category: iri },
          },
          tx,
        );
        return { ...categoryFromRow(row), removedAt, removedBy: actor };
      },
      { lock: "learnpool:participants" },
    );
  }

  /** The categories a participant belongs to at `at` (default now), sorted. */
  async categories(participantId: string, at: Date = this.now(), q: Queryable = this.db): Promise<string[]> {
    const when = at.toISOString();
    const rows = await q.all<{ category: string }>(
      "SELECT DISTINCT category FROM participant_categories WHERE participant = ? AND added_at <= ? AND (removed_at IS NULL OR removed_at > ?) ORDER BY category",
      [participantId, when, when],
    );
    return rows.map((r) => r.category);
  }

  /** Every membership a participant had, current or removed, oldest first. */
  async categoryHistory(participantId: string): Promise<ParticipantCategory[]> {
    const rows = await this.db.all<CategoryRow>(
      "SELECT participant, category, added_at, added_by, removed_at, removed_by FROM participant_categories WHERE participant = ? ORDER BY seq",
      [participantId],
    );
    return rows.map(categoryFromRow);
  }

  async keys(participantId: string): Promise<ParticipantKey[]> {
    const rows = await this.db.all<KeyRow>(
      "SELECT * FROM participant_keys WHERE participant = ? ORDER BY created_at, kid",
      [participantId],
    );
    return rows.map(keyFromRow);
  }

  /** A key by kid, whoever holds it. */
  async key(kid: string, q: Queryable = this.db): Promise<ParticipantKey | undefined> {
    const row = await q.one<KeyRow>("SELECT * FROM participant_keys WHERE kid = ?", [kid]);
    return row && keyFromRow(row);
  }

  /** The participant's JWKS: its keys that are not revoked (those that may sign now). */
  async jwks(participantId: string): Promise<Jwks> {
    if (!(await this.get(participantId))) throw new AgreementError(404, `no participant '${participantId}'`);
    const keys = (await this.keys(participantId)).filter((k) => !k.revokedAt);
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: "EdDSA", use: "sig" })) };
  }
}
