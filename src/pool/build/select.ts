/**
 * The provider-side steps of a build, for each provider store of the spec: the statements of the span
 * (voided ones and voiding statements left out), each learner's pseudonym in the agreement's linkage
 * domain, consent checked on that pseudonym, the consenting learners' statements de-identified under
 * the agreement's profile (`privacy/deidentify`), their competencies translated into the target
 * framework, and the leak check over what comes out. Statements a provider already pseudonymized in
 * the linkage domain (`actor.account.homePage` is the domain's IRI) are taken as they are.
 *
 * The pseudonym of a learner is the one `learnpool pseudonymize` and `learnpool deidentify` give
 * (the first 16 bytes of the domain's secret for purpose `pseudonym`, base64url): the one the provider
 * gave the consent registry, so consent is checked on the very pseudonym that goes into the version.
 *
 * Nothing is dropped silently: a statement that cannot be taken is counted by provider and reason
 * (reasons name properties, never values). A leak (an identifier of a de-identified statement found in
 * the output) stops the build before anything is written to the version's folder.
 */
import { hkdfSync } from "node:crypto";
import { appendFileSync, createReadStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { DuckDBConnection } from "@duckdb/node-api";
import { AuditLog } from "../../audit/index.js";
import { type AlignmentSet, alignmentSetFromFile } from "../../interop/skills/alignments.js";
import {
  type TranslationTable,
  translateStatementCompetencies,
  translationTable,
} from "../../interop/skills/competencies.js";
import { Deidentifier } from "../../privacy/deidentify.js";
import { localKeyOfDomainKey } from "../../privacy/deidentify-keyed.js";
import { LeakCheck, type LeakCheckResult } from "../../privacy/deidentify-leaks.js";
import { DomainKeys } from "../../privacy/domains.js";
import type { Identifier } from "../../privacy/identifiers.js";
import { identifierText } from "../../privacy/identifiers.js";
import { HmacPseudonymizer } from "../../privacy/keyed.js";
import { requireMasterKey } from "../../privacy/keys.js";
import { type DeidentificationProfile, loadProfile } from "../../privacy/profile.js";
import { type Pseudonymizer, pseudonymText } from "../../privacy/pseudonymizer.js";
import type { RosterName } from "../../privacy/scrub.js";
import type { Database } from "../../store/index.js";
import type { BuildSpec } from "../prepare/index.js";
import { type ProviderFile, sqlIdentifier } from "../views/index.js";

const VOIDED = "http://adlnet.gov/expapi/verbs/voided";
/** Statements read from a store per query: memory stays bounded by the page, not the store. */
const PAGE = 1000;
export const NOT_PSEUDONYMIZED =
  "not pseudonymized in the linkage domain and no de-identification profile given";

export class BuildDenied extends Error {
  constructor(
    readonly reason: string,
    readonly decision: string,
  ) {
    super(`dataset build denied: ${reason}`);
    this.name = "BuildDenied";
  }
}

/** The leak check found identifiers of the input in the output: kinds and places only, never values. */
export class LeakFound extends Error {
  constructor(readonly leakCheck: LeakCheckResult) {
    const kinds = Object.entries(leakCheck.foundByKind)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(", ");
    const first = leakCheck.leaks[0];
    super(
      `dataset build stopped: the leak check found ${leakCheck.found} identifier(s) of the input in the de-identified statements (${kinds})${first ? `, first at statement ${first.record} ${first.path}` : ""}; nothing was written`,
    );
    this.name = "LeakFound";
  }
}

export type ProgressEvent = { stage: string; done: number; total?: number };

/** A consent record's state at the build's instant, with the receipt of the event that set it. */
export interface RecordState {
  learner: string;
  record: string;
  state: string;
  receiptHash: string;
}

/** What selection needs of the services (`BuildServices` extends it). */
export interface SelectionServices {
  db: Database;
  consent: {
    consentingLearners(
      agreementId: string,
      at?: Date,
      filter?: { purpose?: string; dataCategory?: string; recipient?: string },
    ): Promise<ReadonlySet<string>>;
    recordStates(
      agreementId: string,
      at?: Date,
      filter?: { purpose?: string; dataCategory?: string; recipient?: string },
    ): Promise<RecordState[]>;
  };
  /** The pseudonymizer of the agreement's linkage domain (keyed or OPRF): needed with a profile. */
  pseudonymizer?: Pseudonymizer;
  /** The 32-byte key re-derived ids and re-keyed values come from (see `privacy/deidentify`). */
  localKey?: Buffer;
  /**
   * The providers' learners and staff, whose names are scrubbed from free text (as `learnpool
   * deidentify --roster`). Without it a learner's name written in free text is a leak that stops the build.
   */
  roster?: readonly RosterName[];
  /** Where a linkage domain's IRI is found (default: the database's pseudonymization domains). */
  domains?: { get(id: string): Promise<{ iri: string } | undefined> };
}

export interface ProviderCoverage {
  provider: string;
  /** Learners with statements in the span. */
  asked: number;
  /** Of them, with valid consent at build time: their statements are taken. */
  consented: number;
  /** asked − consented. */
  notConsenting: number;
  refused: number;
  withdrew: number;
  /** No record for the purpose and recipient. */
  neverAsked: number;
  /** Asked but not answered, expired or invalidated. */
  other: number;
}

export interface Selection {
  /** One JSON Lines file per provider with statements, in the work folder. */
  files: ProviderFile[];
  linkageDomain: { id: string; iri: string };
  profile: { id: string; version: string } | null;
  coverage: ProviderCoverage[];
  /** Per provider: statements in the span, taken as pseudonymized, de-identified, and written. */
  statements: {
    provider: string;
    inSpan: number;
    pseudonymized: number;
    deidentified: number;
    kept: number;
  }[];
  rejected: { provider: string; reason: string; statements: number }[];
  skills: { framework: string; statements: number; translated: number; untranslated: number } | null;
  leakCheck: LeakCheckResult | null;
  /** Sorted pseudonyms of the learners whose statements were taken. */
  members: string[];
  /** Sorted receipt hashes of the consent events the members' inclusion relies on. */
  consentReceipts: string[];
  /** Each member's attribute values (the last value of each attribute's context extension). */
  attributes: Map<string, Record<string, string>>;
}

export interface SelectionContext {
  agreement: { id: string; linkageDomain?: string; deidentificationProfile?: string };
  at: Date;
  purpose: string;
  /** The consumer's participant id: consent is for this recipient (or a category it is in). */
  recipient?: string;
  /** Where the providers' files are written. */
  work: string;
  onProgress?: (event: ProgressEvent) => void;
  /** Statements read per query (default 1,000). */
  pageSize?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The IRI of the agreement's linkage domain: the pseudonymizer's when one is given, else the
 * registered domain's, else the agreement's value itself when it is an IRI.
 */
export async function linkageDomainOf(
  services: SelectionServices,
  agreement: SelectionContext["agreement"],
): Promise<{ id: string; iri: string }> {
  const id = agreement.linkageDomain;
  if (!id)
    throw new BuildDenied(
      `agreement ${agreement.id} names no linkage domain: its learners have no pseudonyms to build on`,
      "Deny",
    );
  const domains = services.domains ?? new DomainKeys(services.db, new AuditLog(services.db));
  const registered = (await domains.get(id))?.iri;
  const iri = registered ?? (/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(id) ? id : undefined);
  if (iri === undefined)
    throw new Error(
      `the agreement's linkage domain '${id}' is not a pseudonymization domain here (learnpool domains add ${id}): the homePage of its pseudonyms is unknown`,
    );
  if (services.pseudonymizer && services.pseudonymizer.domain !== iri)
    throw new Error(
      `the pseudonymizer is for ${services.pseudonymizer.domain}, but the agreement's linkage domain '${id}' is ${iri}`,
    );
  return { id, iri };
}

/** The spec's profile, checked against the agreement and the linkage domain. */
export function loadBuildProfile(
  spec: BuildSpec,
  agreement: SelectionContext["agreement"],
  domainIri: string,
): DeidentificationProfile | undefined {
  if (!spec.deidentification) return undefined;
  const profile = loadProfile(spec.deidentification.profile);
  const named = agreement.deidentificationProfile;
  if (named !== undefined && named !== profile.id && named !== `${profile.id}@${profile.version}`)
    throw new BuildDenied(
      `the spec's de-identification profile is ${profile.id}@${profile.version}, but agreement ${agreement.id} names ${named}`,
      "Deny",
    );
  if (profile.domain !== domainIri)
    throw new Error(
      `deidentification.profile ${spec.deidentification.profile}: its domain is ${profile.domain}, not the agreement's linkage domain ${domainIri}`,
    );
  for (const [column, a] of Object.entries(spec.attributes ?? {})) {
    if (!profile.extensions.context.has(a.extension))
      throw new Error(
        `attributes.${column}: profile ${profile.id} drops the context extension ${a.extension} (add it to extensions.context)`,
      );
    if (profile.extensions.rekey.has(a.extension))
      throw new Error(
        `attributes.${column}: profile ${profile.id} re-keys the context extension ${a.extension}, so its values say nothing`,
      );
  }
  return profile;
}

/** The translation table of the spec's skills key (alignment set read from its file). */
export function loadSkills(spec: BuildSpec): { table: TranslationTable; framework: string } | undefined {
  if (!spec.skills) return undefined;
  let set: AlignmentSet;
  try {
    set = alignmentSetFromFile(JSON.parse(readFileSync(spec.skills.alignments, "utf8")));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `skills.alignments ${spec.skills.alignments}: ${code ? `cannot be read (${code})` : (err as Error).message}`,
    );
  }
  return { table: translationTable(set, spec.skills.framework), framework: spec.skills.framework };
}

/**
 * Remembers the `pseudonym` secrets derived for a page's consent check, so that de-identifying the
 * same learners asks the pseudonymizer (an OPRF service, maybe) nothing more; forgotten after each
 * page (the de-identifier keeps its own cache of pseudonyms).
 */
class RememberingPseudonymizer implements Pseudonymizer {
  readonly domain: string;
  private readonly known = new Map<string, Buffer>();

  constructor(private readonly inner: Pseudonymizer) {
    this.domain = inner.domain;
  }

  async derive(ids: readonly Identifier[], purpose: string): Promise<Map<string, Buffer>> {
    if (purpose !== "pseudonym") return this.inner.derive(ids, purpose);
    const missing = ids.filter((id) => !this.known.has(identifierText(id)));
    if (missing.length > 0)
      for (const [text, secret] of await this.inner.derive(missing, purpose)) this.known.set(text, secret);
    const out = new Map<string, Buffer>();
    for (const id of ids) {
      const text = identifierText(id);
      const secret = this.known.get(text);
      if (secret) out.set(text, secret);
    }
    return out;
  }

  forget(): void {
    this.known.clear();
  }
}

/** An attribute's value as text: strings as they are, other JSON as JSON. */
function attributeText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Runs the provider-side steps for every provider of the spec; see the file's header. */
export async function selectStatements(
  services: SelectionServices,
  spec: BuildSpec,
  context: SelectionContext,
): Promise<Selection> {
  const { agreement, at, purpose } = context;
  const domain = await linkageDomainOf(services, agreement);
  const profile = loadBuildProfile(spec, agreement, domain.iri);
  const skills = loadSkills(spec);
  let deidentifier: Deidentifier | undefined;
  let pseudonymizer: RememberingPseudonymizer | undefined;
  if (profile) {
    if (!services.pseudonymizer)
      throw new Error(
        `the spec names a de-identification profile, but the build has no pseudonymizer for linkage domain '${domain.id}' (keyed: the master key; OPRF: the service's endpoint)`,
      );
    if (!services.localKey)
      throw new Error("the spec names a de-identification profile, but the build has no local key");
    pseudonymizer = new RememberingPseudonymizer(services.pseudonymizer);
    deidentifier = new Deidentifier(profile, {
      pseudonymizer,
      localKey: services.localKey,
      ...(services.roster && { roster: services.roster }),
    });
  }
  const leaks = deidentifier ? new LeakCheck(deidentifier.scrubber) : undefined;
  const filter = { purpose, ...(context.recipient ? { recipient: context.recipient } : {}) };
  const consenting = await services.consent.consentingLearners(agreement.id, at, filter);
  const from = spec.span.from.getTime();
  const to = spec.span.to.getTime();

  const files: ProviderFile[] = [];
  const seenBy = new Map<string, Set<string>>();
  const members = new Set<string>();
  const statements: Selection["statements"] = [];
  const rejected: Selection["rejected"] = [];
  /** Per provider, the lines (from 0) of its file that were de-identified here: what the leak check reads. */
  const deidentifiedLines = new Map<string, number[]>();
  const skillCounts = skills && {
    framework: skills.framework,
    statements: 0,
    translated: 0,
    untranslated: 0,
  };
  const attributeSpecs = Object.entries(spec.attributes ?? {});
  const latest = new Map<string, Map<string, { t: number; value: string }>>();

  for (const provider of spec.providers) {
    const seen = new Set<string>();
    seenBy.set(provider, seen);
    const reasons = new Map<string, number>();
    const reject = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    // Written page by page: memory holds a page, not the provider's statements.
    const path = join(context.work, `${provider.replace(/[^A-Za-z0-9_.-]/g, "_")}.jsonl`);
    writeFileSync(path, "");
    let lines: string[] = [];
    let written = 0;
    const deidentified: number[] = [];
    const counts = { provider, inSpan: 0, pseudonymized: 0, deidentified: 0, kept: 0 };
    const total = Number(
      (
        await services.db.one<{ n: number | string }>(
          "SELECT count(*) AS n FROM statements WHERE store_id = ? AND voided = 0",
          [provider],
        )
      )?.n ?? 0,
    );
    /** Takes a statement into the provider's file (translated), noting its learner and attributes. */
    const take = (statement: Obj, learner: string) => {
      let out = statement;
      if (skills && skillCounts) {
        const t = translateStatementCompetencies(statement, skills.table, skills.framework);
        if (t.translated.length + t.untranslated.length > 0) skillCounts.statements++;
        skillCounts.translated += t.translated.length;
        skillCounts.untranslated += t.untranslated.length;
        out = t.statement;
      }
      members.add(learner);
      if (attributeSpecs.length > 0) {
        const extensions = isObj(out.context) && isObj(out.context.extensions) ? out.context.extensions : {};
        const time = Date.parse(String(out.timestamp));
        for (const [column, a] of attributeSpecs) {
          const value = attributeText(extensions[a.extension]);
          if (value === undefined) continue;
          const byLearner = latest.get(learner) ?? new Map();
          latest.set(learner, byLearner);
          const previous = byLearner.get(column);
          // The last value in time; among equal instants, the last read (store order).
          if (!previous || time >= previous.t) byLearner.set(column, { t: time, value });
        }
      }
      lines.push(JSON.stringify(out));
      counts.kept++;
    };

    let after = 0;
    let read = 0;
    for (;;) {
      const page = await services.db.all<{ seq: number | string; body: string }>(
        "SELECT seq, body FROM statements WHERE store_id = ? AND voided = 0 AND seq > ? ORDER BY seq LIMIT ?",
        [provider, after, context.pageSize ?? PAGE],
      );
      if (page.length === 0) break;
      after = Number(page[page.length - 1]?.seq);
      read += page.length;
      /** Statements of consenting learners that need de-identifying, with their pseudonyms. */
      const raw: { statement: Obj; learner: string }[] = [];
      const pending: { statement: Obj; id: Identifier }[] = [];
      for (const { body } of page) {
        const s = JSON.parse(body) as Obj;
        const verb = isObj(s.verb) ? s.verb.id : undefined;
        if (verb === VOIDED) continue;
        const t = Date.parse(typeof s.timestamp === "string" ? s.timestamp : "");
        if (Number.isNaN(t)) {
          reject("timestamp missing or not an ISO 8601 timestamp");
          continue;
        }
        if (!(t >= from && t < to)) continue;
        counts.inSpan++;
        const actor = isObj(s.actor) ? s.actor : undefined;
        const account = actor && isObj(actor.account) ? actor.account : undefined;
        if (account && account.homePage === domain.iri && typeof account.name === "string") {
          const learner = account.name;
          seen.add(learner);
          if (!consenting.has(learner)) continue;
          counts.pseudonymized++;
          take(s, learner);
          continue;
        }
        if (!deidentifier) {
          reject(NOT_PSEUDONYMIZED);
          continue;
        }
        if (!actor) {
          reject("actor must be an object");
          continue;
        }
        try {
          const id = deidentifier.identifierOf(actor, "actor");
          if (!id) reject("actor: an anonymous group stands for no one learner");
          else pending.push({ statement: s, id });
        } catch (err) {
          // The de-identifier's reasons name the property, never its value.
          reject((err as Error).message);
        }
      }
      if (pending.length > 0 && pseudonymizer) {
        const secrets = await pseudonymizer.derive(
          pending.map((p) => p.id),
          "pseudonym",
        );
        for (const p of pending) {
          const secret = secrets.get(identifierText(p.id));
          if (!secret) throw new Error("the pseudonymizer returned no secret for a learner");
          const learner = pseudonymText(secret);
          seen.add(learner);
          if (consenting.has(learner)) raw.push({ statement: p.statement, learner });
        }
      }
      if (raw.length > 0 && deidentifier) {
        for (const r of raw) leaks?.collect(r.statement);
        const result = await deidentifier.run(raw.map((r) => r.statement));
        for (const r of result.rejected) reject(r.reason);
        for (const out of result.statements) {
          const account = isObj(out.actor) && isObj(out.actor.account) ? out.actor.account : {};
          counts.deidentified++;
          deidentified.push(written + lines.length);
          take(out, String(account.name));
        }
      }
      pseudonymizer?.forget();
      if (lines.length > 0) appendFileSync(path, `${lines.join("\n")}\n`);
      written += lines.length;
      lines = [];
      context.onProgress?.({ stage: `select ${provider}`, done: read, total });
    }
    context.onProgress?.({ stage: `kept ${provider}`, done: counts.kept, total: counts.inSpan });
    statements.push(counts);
    for (const [reason, n] of [...reasons].sort((a, b) => cmp(a[0], b[0])))
      rejected.push({ provider, reason, statements: n });
    if (written > 0) files.push({ provider, path });
    deidentifiedLines.set(provider, deidentified);
  }

  // The leak check, once every identifier of the input is known: over what was de-identified here
  // (statements taken as already pseudonymized were not, and their own accounts are meant to stay).
  let leakCheck: LeakCheckResult | null = null;
  if (leaks) {
    let record = 0;
    for (const file of files) {
      const wanted = deidentifiedLines.get(file.provider) ?? [];
      let line = 0;
      let next = 0;
      // Streamed line by line: the wanted lines are in ascending order.
      for await (const text of createInterface({ input: createReadStream(file.path), crlfDelay: Infinity })) {
        if (next >= wanted.length) break;
        if (line++ !== wanted[next]) continue;
        next++;
        leaks.search(JSON.parse(text), ++record);
      }
    }
    leakCheck = leaks.result();
    context.onProgress?.({ stage: "leak check", done: record, total: record });
    if (leakCheck.found > 0) throw new LeakFound(leakCheck);
  }

  // Consent coverage and the receipts relied on, from each record's state at the build's instant.
  const states = await services.consent.recordStates(agreement.id, at, filter);
  const statesOf = new Map<string, RecordState[]>();
  for (const s of states) {
    const list = statesOf.get(s.learner) ?? [];
    list.push(s);
    statesOf.set(s.learner, list);
  }
  const coverage: ProviderCoverage[] = spec.providers.map((provider) => {
    const c: ProviderCoverage = {
      provider,
      asked: 0,
      consented: 0,
      notConsenting: 0,
      refused: 0,
      withdrew: 0,
      neverAsked: 0,
      other: 0,
    };
    for (const learner of seenBy.get(provider) ?? []) {
      c.asked++;
      if (consenting.has(learner)) {
        c.consented++;
        continue;
      }
      c.notConsenting++;
      const mine = statesOf.get(learner) ?? [];
      if (mine.some((s) => s.state === "withdrawn")) c.withdrew++;
      else if (mine.some((s) => s.state === "refused")) c.refused++;
      else if (mine.length === 0) c.neverAsked++;
      else c.other++;
    }
    return c;
  });
  const receipts = new Set<string>();
  for (const learner of members)
    for (const s of statesOf.get(learner) ?? [])
      if (s.state === "given" || s.state === "renewed") receipts.add(s.receiptHash);

  const attributes = new Map<string, Record<string, string>>();
  for (const [learner, byColumn] of latest) {
    const values: Record<string, string> = {};
    for (const [column, v] of byColumn) values[column] = v.value;
    attributes.set(learner, values);
  }
  return {
    files,
    linkageDomain: domain,
    profile: profile ? { id: profile.id, version: profile.version } : null,
    coverage,
    statements,
    rejected,
    skills: skillCounts ?? null,
    leakCheck,
    members: [...members].sort(cmp),
    consentReceipts: [...receipts].sort(cmp),
    attributes,
  };
}

/**
 * `learner_attributes(learner VARCHAR, <columns> VARCHAR)`: one row per member, NULL where a learner's
 * statements never carried the attribute's extension. The risk check reads it.
 */
export async function writeLearnerAttributes(
  connection: DuckDBConnection,
  spec: BuildSpec,
  selection: Selection,
): Promise<void> {
  const columns = Object.keys(spec.attributes ?? {});
  await connection.run(
    `CREATE OR REPLACE TABLE learner_attributes (learner VARCHAR${columns.map((c) => `, ${sqlIdentifier(c)} VARCHAR`).join("")})`,
  );
  const appender = await connection.createAppender("learner_attributes");
  for (const learner of selection.members) {
    appender.appendVarchar(learner);
    const values = selection.attributes.get(learner) ?? {};
    for (const column of columns) {
      const value = values[column];
      if (value === undefined) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.endRow();
  }
  appender.closeSync();
}

/** How the CLI gives the build its linkage domain's pseudonymizer. */
export interface ServicesOptions {
  /** Keyed mode: the master key that opens the domain's key (default LEARNPOOL_MASTER_KEY(_FILE)). */
  masterKey?: Buffer;
  /** OPRF mode: the service and a member store's credential; `localKey` is then required. */
  oprf?: { endpoint: string; credential: { key: string; secret: string } };
  /** The 32-byte local key; keyed mode derives one from the domain key when absent. */
  localKey?: Buffer;
  /** The build's clock (the registries judge agreements and consent at it). */
  now?: () => Date;
  /** The providers' learners and staff, whose names are scrubbed from free text. */
  roster?: readonly RosterName[];
  /** The secret that makes cohort-statistics noise reproducible for its holder (32 bytes). */
  noiseKey?: Uint8Array;
}

/**
 * The services of a build from one database: the agreement, consent and enforcement registries, and,
 * when the spec names a de-identification profile, the pseudonymizer of the agreement's linkage
 * domain (keyed, from the domain key under the master key; or OPRF through a Learnpool service) with
 * the local key. Without a profile no key is opened.
 */
export async function buildServicesFromDatabase(
  db: Database,
  spec: BuildSpec,
  options: ServicesOptions = {},
) {
  const { AgreementRegistry, PolicyEnforcement } = await import("../../contract/index.js");
  const { ConsentRegistry } = await import("../../consent/index.js");
  const audit = new AuditLog(db);
  const now = options.now ? { now: options.now } : {};
  const agreements = new AgreementRegistry(db, audit, now);
  const consent = new ConsentRegistry(db, audit, agreements, now);
  const enforcement = new PolicyEnforcement(db, audit, agreements, agreements.participants, {
    ...(options.now && { clock: options.now }),
  });
  const { PrivacyLedger } = await import("../../privacy/dp/ledger.js");
  const services = {
    db,
    agreements,
    consent,
    enforcement,
    ledger: new PrivacyLedger(db, audit),
    ...(options.noiseKey && { noiseKey: options.noiseKey }),
    ...(options.roster && { roster: options.roster }),
  };
  if (!spec.deidentification) return services;
  const domainId = (await agreements.get(spec.agreement))?.linkageDomain;
  if (!domainId) return services; // the build refuses it with the reason
  if (options.oprf) {
    if (!options.localKey)
      throw new Error("OPRF mode needs the provider's local key (no one holds the linkage domain's key)");
    const { HttpOprfTransport, MAX_OPRF_BATCH, OprfPseudonymizer } = await import("../../privacy/oprf.js");
    const transport = new HttpOprfTransport(options.oprf.endpoint, options.oprf.credential);
    const pseudonymizer = await OprfPseudonymizer.connect(transport, domainId, { batchSize: MAX_OPRF_BATCH });
    return { ...services, pseudonymizer, localKey: options.localKey };
  }
  const domains = new DomainKeys(db, audit, { master: options.masterKey ?? requireMasterKey() });
  const key = await domains.key(domainId);
  return {
    ...services,
    pseudonymizer: new HmacPseudonymizer(key),
    // Ids re-derived inside a build are the pool's, not a provider's: their key is kept apart.
    localKey:
      options.localKey ??
      Buffer.from(hkdfSync("sha256", localKeyOfDomainKey(key.key), Buffer.alloc(0), "learnpool build", 32)),
  };
}

/** What a build returns of its selection (`BuildResult` carries these fields). */
export function selectionReport(selection: Selection) {
  return {
    statements: selection.statements,
    rejected: selection.rejected,
    skills: selection.skills,
    leakCheck: selection.leakCheck,
    members: selection.members,
    consentReceipts: selection.consentReceipts,
  };
}

/**
 * The version description's fields that selection knows (`VersionDescription`'s deidentification,
 * pseudonymization, consent and consentReceipts) and the limitations that still hold of it.
 */
export function describeSelection(selection: Selection, pseudonymizer?: Pseudonymizer) {
  const { profile, linkageDomain } = selection;
  const taken = selection.statements.reduce((n, s) => n + s.pseudonymized, 0);
  const made = selection.statements.reduce((n, s) => n + s.deidentified, 0);
  const n = (k: number) => `${k} statement${k === 1 ? "" : "s"}`;
  const keyId = (pseudonymizer as { keyId?: unknown } | undefined)?.keyId;
  const how =
    pseudonymizer === undefined
      ? "keyed pseudonyms"
      : typeof keyId === "string" && pseudonymizer instanceof HmacPseudonymizer
        ? `HMAC-SHA256 under the domain key ${keyId}`
        : typeof keyId === "string"
          ? `RFC 9497 OPRF (ristretto255-SHA512) under the domain key ${keyId}`
          : "keyed pseudonyms";
  const parts = [
    ...(made > 0 ? [`${how}, made by the build for ${n(made)} de-identified`] : []),
    ...(taken > 0 ? [`made by the providers for ${n(taken)} taken as pseudonymized`] : []),
  ];
  return {
    deidentification: profile
      ? { name: profile.id, version: profile.version }
      : { name: "none (statements taken as pseudonymized by the providers)", version: "-" },
    pseudonymization: {
      domain: linkageDomain.iri,
      method:
        parts.length > 0 ? parts.join("; ") : "keyed pseudonyms of the linkage domain (no statement taken)",
    },
    consent: selection.coverage.map((c) => ({
      provider: c.provider,
      asked: c.asked,
      consented: c.consented,
      refused: c.refused,
      withdrew: c.withdrew,
    })),
    consentReceipts: selection.consentReceipts,
    limitations: [
      ...(taken > 0
        ? [
            `Taken as already de-identified and pseudonymized by their providers in the linkage domain, unchecked by the build: ${n(taken)}.`,
          ]
        : []),
      ...(selection.coverage.some((c) => c.neverAsked + c.other > 0)
        ? [
            "Consent coverage: learners never asked, or whose consent is pending, expired or invalidated, are counted as asked but neither consented, refused nor withdrew.",
          ]
        : []),
    ],
  };
}
