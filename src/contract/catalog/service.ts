/**
 * The catalog service: the I/O around the pure rules. Publication checks the description and the
 * policies, derives the statistics from the provider's store and adds a version; withdrawal adds a
 * row; reads and searches decide visibility per entry and write one `contract.decision` audit event
 * per request (step `catalog-access`): what was shown, what was hidden and why. Nothing here is ever
 * updated or deleted.
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../../audit/index.js";
import type { Database, Queryable, SqlValue } from "../../store/index.js";
import type { CompiledPolicy } from "../odrl/evaluate.js";
import { DPV, ODRL } from "../odrl/vocab.js";
import { type AccessDecision, accessDecision, type PartyFacts, purposeFit } from "./decisions.js";
import {
  type DerivedStatistics,
  type ProviderDescription,
  readProviderDescription,
  searchTerms,
  searchText,
  type TermKind,
} from "./description.js";
import type { CatalogEntry, CatalogHit, CatalogPage } from "./entry.js";
import { CatalogError } from "./errors.js";
import { type CheckedPolicy, compileStored, readAccessPolicy, readOffer } from "./offer.js";
import { deriveStatistics } from "./statistics.js";
import { DATA_CATEGORIES, dataCategoryIri, datasetIri, participantIri, UUID } from "./vocabulary.js";

/** Who acts: a credential key (or `cli:<user>`) and, for a participant, its store. No store: the operator. */
export interface Actor {
  actor: string;
  storeId?: string;
}

/** What the catalog knows of participants beyond their store: party IRI, collections, attributes. */
export interface ParticipantDirectory {
  party(storeId: string): Promise<PartyFacts>;
}

/** A participant is its store, with no known collections or attributes. */
export const storesOnly: ParticipantDirectory = {
  party: async (storeId) => ({ iri: participantIri(storeId) }),
};

/**
 * The default directory: the IRI a participant registered (the agreements' `participants` table), else
 * the store's default IRI, and as ODRL `partOf` the categories the operator assigned it that hold now
 * (`participant_categories`), so that access policies whose assignee is a PartyCollection of that IRI
 * let its members in. Attributes (country…) are not kept there yet: policies on them fail closed.
 */
export function registeredParticipants(
  db: Queryable,
  now: () => Date = () => new Date(),
): ParticipantDirectory {
  return {
    party: async (storeId) => {
      const row = await db.one<{ iri: string }>("SELECT iri FROM participants WHERE id = ?", [storeId]);
      const when = now().toISOString();
      const categories = row
        ? await db.all<{ category: string }>(
            "SELECT DISTINCT category FROM participant_categories WHERE participant = ? AND added_at <= ? AND (removed_at IS NULL OR removed_at > ?) ORDER BY category",
            [storeId, when, when],
          )
        : [];
      return {
        iri: row?.iri ?? participantIri(storeId),
        ...(categories.length > 0 && { partOf: categories.map((c) => c.category) }),
      };
    },
  };
}

export interface CatalogOptions {
  now?: () => Date;
  directory?: ParticipantDirectory;
}

export interface PublishRequest {
  /** The provider's store: its statements are described, it is the offer's assigner. */
  storeId: string;
  /** The provider's part of the description (see readProviderDescription). */
  description: unknown;
  /** The ODRL Offer (JSON-LD object or text). */
  offer: unknown;
  /** An ODRL Set deciding who may see the entry; absent: every participant. */
  accessPolicy?: unknown;
  /** Republication: the dataset this is a new version of. */
  dataset?: string;
}

export interface CatalogQuery {
  /** Free text over title, description and keywords: every word must appear. */
  q?: string;
  theme?: string;
  verb?: string;
  /** An xAPI profile (a context category activity id). */
  profile?: string;
  /** A DPV personal-data category. */
  category?: string;
  format?: string;
  /** The providing store. */
  provider?: string;
  /** A DPV purpose the offer must permit (see decisions.ts). */
  purpose?: string;
  /** Time span overlap with the statements' span. */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

/** A dataset's current offer, as negotiation needs it. */
export interface CatalogOffer {
  offerId: string;
  dataset: string;
  /** The providing store. */
  provider: string;
  /** The ODRL Offer, JSON-LD as published. */
  policy: Record<string, unknown>;
  compiled: CompiledPolicy;
}

export const MAX_PAGE = 100;
const DEFAULT_PAGE = 20;

interface EntryRow {
  seq: number | string;
  dataset_id: string;
  version: number | string;
  store_id: string;
  published_at: string;
  description: string;
  offer_id: string;
  offer: string;
  access_policy: string | null;
}

interface StoredDescription {
  publisher: string;
  description: ProviderDescription;
  statistics: DerivedStatistics;
}

const CURRENT = `e.version = (SELECT MAX(m.version) FROM catalog_entries m WHERE m.dataset_id = e.dataset_id)
  AND NOT EXISTS (SELECT 1 FROM catalog_withdrawals w WHERE w.dataset_id = e.dataset_id AND w.version >= e.version)`;
const ROW =
  "e.seq, e.dataset_id, e.version, e.store_id, e.published_at, e.description, e.offer_id, e.offer, e.access_policy";

function likePattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function instant(value: string, name: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t))
    throw new CatalogError(400, `${name} must be a date or date-time (ISO 8601), not ${value}`);
  return new Date(t).toISOString();
}

/** A purpose as a DPV IRI: `ResearchAndDevelopment`, `dpv:…` or a full IRI. */
export function purposeIri(value: string): string {
  const v = value.trim();
  if (v.startsWith("dpv:")) return DPV + v.slice(4);
  if (!v.includes(":")) return DPV + v;
  return v;
}

export class Catalog {
  private readonly now: () => Date;
  private readonly directory: ParticipantDirectory;
  /** Compiled policies by entry row and kind: rows never change, so neither do these. */
  private readonly compiled = new Map<string, CompiledPolicy>();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    options: CatalogOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.directory = options.directory ?? registeredParticipants(db, options.now);
  }

  /** Publishes a dataset offer, or a new version of one; returns the stored entry. */
  async publish(request: PublishRequest, by: Actor): Promise<CatalogEntry> {
    await this.checkPublisher(request.storeId, by, "publish");
    const store = await this.db.one("SELECT id FROM stores WHERE id = ?", [request.storeId]);
    if (!store) throw new CatalogError(404, `no store ${request.storeId}`);
    const description = readProviderDescription(request.description);
    let dataset: string;
    if (request.dataset !== undefined) {
      dataset = datasetIri(request.dataset);
      if (!UUID.test(dataset)) throw new CatalogError(400, `dataset ${request.dataset} is not a urn:uuid`);
    } else dataset = `urn:uuid:${randomUUID()}`;
    const publisher = (await this.directory.party(request.storeId)).iri;
    const offer = readOffer(request.offer, { assigner: publisher, dataset });
    const access =
      request.accessPolicy === undefined || request.accessPolicy === null
        ? undefined
        : readAccessPolicy(request.accessPolicy);
    return this.addVersion(request.storeId, dataset, publisher, description, offer, access, by, "publish");
  }

  /** Derives the statistics again and publishes them as a new version, the rest unchanged. */
  async refresh(dataset: string, by: Actor): Promise<CatalogEntry> {
    const latest = await this.latestRow(dataset);
    await this.checkPublisher(latest.store_id, by, "refresh");
    // Refreshing updates figures; bringing a withdrawn dataset back is a deliberate republication.
    const withdrawn = await this.db.one(
      "SELECT 1 AS x FROM catalog_withdrawals WHERE dataset_id = ? AND version >= ?",
      [latest.dataset_id, Number(latest.version)],
    );
    if (withdrawn)
      throw new CatalogError(
        409,
        `dataset ${latest.dataset_id} is withdrawn: publish it again to bring it back`,
      );
    const stored = JSON.parse(latest.description) as StoredDescription;
    const offer = readOffer(latest.offer, { assigner: stored.publisher, dataset: latest.dataset_id });
    const access = latest.access_policy === null ? undefined : readAccessPolicy(latest.access_policy);
    return this.addVersion(
      latest.store_id,
      latest.dataset_id,
      stored.publisher,
      stored.description,
      offer,
      access,
      by,
      "refresh",
    );
  }

  /** Withdraws a dataset: its versions so far leave search, and stay readable by id. */
  async withdraw(dataset: string, reason: string, by: Actor): Promise<CatalogEntry> {
    const latest = await this.latestRow(dataset);
    await this.checkPublisher(latest.store_id, by, "withdraw");
    const at = this.now().toISOString();
    await this.db.transaction(
      async (tx) => {
        const done = await tx.one(
          "SELECT 1 AS x FROM catalog_withdrawals WHERE dataset_id = ? AND version >= ?",
          [latest.dataset_id, Number(latest.version)],
        );
        if (done) throw new CatalogError(409, `dataset ${latest.dataset_id} is withdrawn already`);
        await tx.run(
          "INSERT INTO catalog_withdrawals (dataset_id, version, withdrawn_at, withdrawn_by, reason) VALUES (?, ?, ?, ?, ?)",
          [latest.dataset_id, Number(latest.version), at, by.actor, reason],
        );
        await this.audit.append(
          {
            actor: by.actor,
            action: "contract.catalog.withdraw",
            subject: `dataset:${latest.dataset_id}`,
            details: { store: latest.store_id, version: Number(latest.version), reason },
          },
          tx,
        );
      },
      { lock: `learnpool:catalog:${latest.dataset_id}` },
    );
    return this.toEntry(latest, Number(latest.version));
  }

  /**
   * One dataset, its newest version or `version`; withdrawn versions stay readable. Whether the viewer
   * may see it is decided by the newest version's access policy (the provider's current wish); the
   * decision is audited, and a refusal answered as if the dataset did not exist.
   */
  async read(dataset: string, viewer: Actor, version?: number): Promise<CatalogEntry> {
    return this.readDecided(dataset, viewer, "read", version);
  }

  private async readDecided(
    dataset: string,
    viewer: Actor,
    request: string,
    version?: number,
  ): Promise<CatalogEntry> {
    const latest = await this.latestRow(dataset).catch(async (err: unknown) => {
      await this.auditAccess(viewer, request, [], [{ dataset, reason: "no such dataset" }], dataset);
      throw err;
    });
    const party = viewer.storeId === undefined ? undefined : await this.directory.party(viewer.storeId);
    const decision = await this.decideAccess(latest, party);
    const shown = decision.visible ? [{ dataset: latest.dataset_id, reason: decision.reason }] : [];
    const hidden = decision.visible ? [] : [{ dataset: latest.dataset_id, reason: decision.reason }];
    await this.auditAccess(viewer, request, shown, hidden, latest.dataset_id);
    if (!decision.visible) throw new CatalogError(404, `no dataset ${dataset} in the catalog`);
    return this.entryVersion(latest, version);
  }

  private async entryVersion(latest: EntryRow, version?: number): Promise<CatalogEntry> {
    const latestVersion = Number(latest.version);
    if (version === undefined || version === latestVersion) return this.toEntry(latest, latestVersion);
    const row = await this.db.one<EntryRow>(
      `SELECT ${ROW} FROM catalog_entries e WHERE e.dataset_id = ? AND e.version = ?`,
      [latest.dataset_id, version],
    );
    if (!row) throw new CatalogError(404, `dataset ${latest.dataset_id} has no version ${version}`);
    return this.toEntry(row, latestVersion);
  }

  /**
   * The current offer `offerId` names: that of a dataset's newest version, not withdrawn. An offer
   * replaced by a republication, or whose dataset was withdrawn, is no longer offered.
   */
  async offer(offerId: string): Promise<CatalogOffer | undefined> {
    const row = await this.db.one<EntryRow>(
      `SELECT ${ROW} FROM catalog_entries e WHERE e.offer_id = ? AND ${CURRENT} ORDER BY e.seq DESC LIMIT 1`,
      [offerId],
    );
    if (!row) return undefined;
    return {
      offerId: row.offer_id,
      dataset: row.dataset_id,
      provider: row.store_id,
      policy: JSON.parse(row.offer) as Record<string, unknown>,
      compiled: this.policy(row, "offer"),
    };
  }

  /** What the directory knows of a participant as an ODRL party (its IRI, collections, attributes). */
  party(storeId: string): Promise<PartyFacts> {
    return this.directory.party(storeId);
  }

  /** The versions of a dataset, oldest first, under the same access rule as `read`. */
  async versions(dataset: string, viewer: Actor): Promise<CatalogEntry[]> {
    const latest = await this.readDecided(dataset, viewer, "versions");
    const rows = await this.db.all<EntryRow>(
      `SELECT ${ROW} FROM catalog_entries e WHERE e.dataset_id = ? ORDER BY e.version`,
      [latest.dataset],
    );
    return Promise.all(rows.map((r) => this.toEntry(r, latest.latestVersion)));
  }

  /** Searches the current, not withdrawn, entries the viewer may see; newest publication first. */
  async search(query: CatalogQuery, viewer: Actor): Promise<CatalogPage> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const offset = query.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new CatalogError(400, `limit must be an integer from 1 to ${MAX_PAGE}`);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new CatalogError(400, "offset must be a non-negative integer");
    const where = [CURRENT];
    const params: SqlValue[] = [];
    if (query.provider) {
      where.push("e.store_id = ?");
      params.push(query.provider);
    }
    for (const word of (query.q ?? "").toLowerCase().split(/\s+/).filter(Boolean)) {
      where.push("e.search_text LIKE ? ESCAPE '\\'");
      params.push(likePattern(word));
    }
    const terms: [TermKind, string | undefined][] = [
      ["theme", query.theme],
      ["verb", query.verb],
      ["profile", query.profile],
      ["format", query.format],
      ["category", query.category === undefined ? undefined : this.category(query.category)],
    ];
    for (const [kind, value] of terms)
      if (value !== undefined && value !== "") {
        where.push(
          "EXISTS (SELECT 1 FROM catalog_terms t WHERE t.entry_seq = e.seq AND t.kind = ? AND t.value = ?)",
        );
        params.push(kind, value);
      }
    const from = query.from ? instant(query.from, "from") : undefined;
    const to = query.to ? instant(query.to, "to") : undefined;
    if (from && to && from > to) throw new CatalogError(400, "from is after to");
    if (from) {
      where.push("e.temporal_end >= ?");
      params.push(from);
    }
    if (to) {
      where.push("e.temporal_start <= ?");
      params.push(to);
    }
    const rows = await this.db.all<EntryRow>(
      `SELECT ${ROW} FROM catalog_entries e WHERE ${where.join(" AND ")} ORDER BY e.seq DESC`,
      params,
    );

    const party = viewer.storeId === undefined ? undefined : await this.directory.party(viewer.storeId);
    const purpose = query.purpose ? purposeIri(query.purpose) : undefined;
    const now = this.now();
    const hidden: { dataset: string; reason: string }[] = [];
    const hits: { row: EntryRow; fit?: CatalogHit["purposeFit"]; reason: string }[] = [];
    for (const row of rows) {
      const decision = await this.decideAccess(row, party);
      if (!decision.visible) {
        hidden.push({ dataset: row.dataset_id, reason: decision.reason });
        continue;
      }
      if (!purpose) {
        hits.push({ row, reason: decision.reason });
        continue;
      }
      const fit = purposeFit(this.policy(row, "offer"), party, purpose, row.dataset_id, now);
      if (fit.fit !== "refused") hits.push({ row, fit, reason: decision.reason });
    }
    const page = hits.slice(offset, offset + limit);
    await this.auditAccess(
      viewer,
      "search",
      page.map((h) => ({ dataset: h.row.dataset_id, reason: h.reason })),
      hidden,
    );
    const items = await Promise.all(
      page.map(async (h) => ({
        ...(await this.toEntry(h.row, Number(h.row.version))),
        ...(h.fit ? { purposeFit: h.fit } : {}),
      })),
    );
    return {
      items,
      total: hits.length,
      offset,
      limit,
      ...(offset + limit < hits.length ? { next: offset + limit } : {}),
    };
  }

  /**
   * The one decision event of a catalog request (step `catalog-access`, the shape of enforcement's
   * `contract.decision`): the entries shown and hidden, each reason counted. Permit when something
   * was shown, or when a search hid nothing; Deny when the request could see nothing it asked for.
   */
  private async auditAccess(
    viewer: Actor,
    request: string,
    shown: { dataset: string; reason: string }[],
    hidden: { dataset: string; reason: string }[],
    dataset?: string,
  ): Promise<void> {
    const count = (list: { reason: string }[]) => {
      const reasons: Record<string, number> = {};
      for (const h of list) reasons[h.reason] = (reasons[h.reason] ?? 0) + 1;
      return reasons;
    };
    const permit = shown.length > 0 || (dataset === undefined && hidden.length === 0);
    const reason =
      dataset !== undefined
        ? ((shown[0] ?? hidden[0])?.reason ?? "")
        : `${shown.length} shown${hidden.length > 0 ? `, ${hidden.length} hidden by their access policy` : ""}`;
    await this.audit.append({
      actor: viewer.actor,
      action: "contract.decision",
      subject: dataset ? `dataset:${dataset}` : `catalog:${request}`,
      details: {
        step: "catalog-access",
        agreement: null,
        actor: viewer.actor,
        participant: viewer.storeId ?? null,
        action: `${ODRL}read`,
        request,
        decision: permit ? "Permit" : "Deny",
        reason,
        rule: null,
        constraint: null,
        shown: shown.length,
        datasets: shown.slice(0, 20).map((h) => h.dataset),
        hidden: hidden.length,
        hiddenDatasets: hidden.slice(0, 20).map((h) => h.dataset),
        reasons: count(shown),
        hiddenReasons: count(hidden),
      },
    });
  }

  /** The data space's operator as a party (the DSP catalog's participantId). */
  async operatorIri(): Promise<string> {
    const row = await this.db.one<{ iri: string }>(
      "SELECT iri FROM participants WHERE role = 'operator' ORDER BY created_at, id LIMIT 1",
    );
    return row?.iri ?? participantIri("operator");
  }

  // ---------------------------------------------------------------- internals

  private category(term: string): string {
    const iri = dataCategoryIri(term);
    if (!iri)
      throw new CatalogError(
        400,
        `unknown data category ${term} (known: ${Object.keys(DATA_CATEGORIES).join(", ")})`,
      );
    return iri;
  }

  /** A participant acts only for its own store; a refusal is audited. */
  private async checkPublisher(storeId: string, by: Actor, what: string): Promise<void> {
    if (by.storeId === undefined || by.storeId === storeId) return;
    const reason = `a provider can ${what} only for its own store: the credential is store ${by.storeId}'s, the dataset is store ${storeId}'s`;
    await this.audit.append({
      actor: by.actor,
      action: "contract.catalog.access",
      subject: `store:${storeId}`,
      details: { participant: by.storeId, decision: "deny", request: what, reason },
    });
    throw new CatalogError(403, reason);
  }

  private async latestRow(dataset: string): Promise<EntryRow> {
    const id = datasetIri(dataset);
    const row = UUID.test(id)
      ? await this.db.one<EntryRow>(
          `SELECT ${ROW} FROM catalog_entries e WHERE e.dataset_id = ? ORDER BY e.version DESC LIMIT 1`,
          [id],
        )
      : undefined;
    if (!row) throw new CatalogError(404, `no dataset ${dataset} in the catalog`);
    return row;
  }

  private policy(row: EntryRow, kind: "offer" | "access"): CompiledPolicy {
    const key = `${row.seq}:${kind}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = compileStored(kind === "offer" ? row.offer : (row.access_policy as string));
      if (this.compiled.size >= 5000) this.compiled.clear();
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  private async decideAccess(row: EntryRow, party: PartyFacts | undefined): Promise<AccessDecision> {
    const stored = JSON.parse(row.description) as StoredDescription;
    const policy = row.access_policy === null ? undefined : this.policy(row, "access");
    return accessDecision(policy, party, stored.publisher, row.dataset_id, this.now());
  }

  private async addVersion(
    storeId: string,
    dataset: string,
    publisher: string,
    description: ProviderDescription,
    offer: CheckedPolicy,
    access: CheckedPolicy | undefined,
    by: Actor,
    what: "publish" | "refresh",
  ): Promise<CatalogEntry> {
    const now = this.now();
    // Derived before the transaction: a long scan must not hold the writers' lock. The statistics are
    // those of the moment of publication either way.
    const statistics = await deriveStatistics(this.db, storeId, now);
    const stored: StoredDescription = { publisher, description, statistics };
    const version = await this.db.transaction(
      async (tx) => {
        const last = await tx.one<{ store_id: string; version: number | string }>(
          "SELECT store_id, version FROM catalog_entries WHERE dataset_id = ? ORDER BY version DESC LIMIT 1",
          [dataset],
        );
        if (last && last.store_id !== storeId)
          throw new CatalogError(403, `dataset ${dataset} is another provider's`);
        if (await this.offerElsewhere(tx, offer.policy.id, dataset))
          throw new CatalogError(
            409,
            `offer ${offer.policy.id} is another dataset's offer: an offer belongs to one dataset`,
          );
        const version = last ? Number(last.version) + 1 : 1;
        const inserted = await tx.all<{ seq: number | string }>(
          `INSERT INTO catalog_entries (dataset_id, version, store_id, published_at, published_by, search_text,
             temporal_start, temporal_end, offer_id, description, offer, access_policy)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
          [
            dataset,
            version,
            storeId,
            now.toISOString(),
            by.actor,
            searchText(description),
            statistics.temporal?.start ?? null,
            statistics.temporal?.end ?? null,
            offer.policy.id,
            JSON.stringify(stored),
            JSON.stringify(offer.document),
            access ? JSON.stringify(access.document) : null,
          ],
        );
        const seq = Number(inserted[0]!.seq);
        const terms = searchTerms(description, statistics);
        if (terms.length > 0)
          await tx.insertMany(
            "catalog_terms",
            ["entry_seq", "kind", "value"],
            terms.map(([kind, value]) => [seq, kind, value]),
          );
        await this.audit.append(
          {
            actor: by.actor,
            action: `contract.catalog.${what}`,
            subject: `dataset:${dataset}`,
            details: {
              store: storeId,
              version,
              offer: offer.policy.id,
              accessPolicy: access ? access.policy.id : null,
              statements: statistics.statements,
              learners: statistics.learners,
            },
          },
          tx,
        );
        return version;
      },
      { lock: `learnpool:catalog:${dataset}` },
    );
    return this.entryVersion(await this.latestRow(dataset), version);
  }

  private async offerElsewhere(tx: Queryable, offerId: string, dataset: string): Promise<boolean> {
    const other = await tx.one("SELECT 1 AS x FROM catalog_entries WHERE offer_id = ? AND dataset_id <> ?", [
      offerId,
      dataset,
    ]);
    return other !== undefined;
  }

  private async toEntry(row: EntryRow, latestVersion: number): Promise<CatalogEntry> {
    const stored = JSON.parse(row.description) as StoredDescription;
    const version = Number(row.version);
    const withdrawal = await this.db.one<{ withdrawn_at: string; reason: string }>(
      "SELECT withdrawn_at, reason FROM catalog_withdrawals WHERE dataset_id = ? AND version >= ? ORDER BY seq LIMIT 1",
      [row.dataset_id, version],
    );
    return {
      dataset: row.dataset_id,
      version,
      latestVersion,
      provider: row.store_id,
      publisher: stored.publisher,
      publishedAt: row.published_at,
      description: stored.description,
      statistics: stored.statistics,
      offerId: row.offer_id,
      offer: JSON.parse(row.offer) as Record<string, unknown>,
      ...(row.access_policy
        ? { accessPolicy: JSON.parse(row.access_policy) as Record<string, unknown> }
        : {}),
      ...(withdrawal ? { withdrawn: { at: withdrawal.withdrawn_at, reason: withdrawal.reason } } : {}),
    };
  }
}
