/**
 * The registry of dataset versions over the database (migration 13): what a build made, who may
 * download it, and what happens to it when learners withdraw or the agreement ends. Each state change
 * is a row in `dataset_version_events` and an audit event, written in one transaction.
 *
 * Learners' pseudonyms are stored as a version's members (what withdrawals are matched against) and
 * never leave this file: errors, audit events, notifications and results name versions, withdrawals
 * and counts only.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AuditLog } from "../../audit/index.js";
import {
  type AccessRequest,
  canonicalJson,
  declaredPurposes,
  ODRL,
  type Policy,
} from "../../contract/index.js";
import { whereSql } from "../../store/filters.js";
import type { Database, Queryable } from "../../store/index.js";
// Types only: the build (and DuckDB with it) is not loaded by the registry, so the server can use it.
import type { BuildResult } from "../build/index.js";
import {
  checkFilePath,
  checkVersionNumber,
  type DeletionEvidence,
  deletionDigest,
  type InventoryFile,
  inventory,
  nextVersionAfter,
} from "./rules.js";

export class VersionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "VersionError";
  }
}

export type VersionState = "current" | "superseded" | "deleted";
export const VERSION_STATES: readonly VersionState[] = ["current", "superseded", "deleted"];
export type VersionEventKind = "recorded" | "downloaded" | "superseded" | "deleted";

/** What the registry needs of the agreements registry (AgreementRegistry satisfies it). */
export interface VersionAgreements {
  get(id: string): Promise<
    | {
        id: string;
        parties: readonly { participant: string; role: string; iri?: string }[];
      }
    | undefined
  >;
  status(id: string, at?: Date): Promise<{ state: string; valid: boolean; reason: string }>;
  policyOf(id: string): Promise<Policy>;
  participants: { get(id: string): Promise<{ iri: string } | undefined> };
}

/** What the registry needs of enforcement (PolicyEnforcement satisfies it). */
export interface VersionEnforcement {
  decide(input: {
    step: "export-download";
    agreementId: string;
    actor: string;
    request: AccessRequest;
    at?: Date;
  }): Promise<{ decision: string; reason: string; at?: string }>;
  duties?(filter: {
    agreements?: readonly string[];
    state?: "open" | "fulfilled" | "violated";
  }): Promise<
    readonly { id: string; agreement: string; duty: string; kind: string; assignee: string | null }[]
  >;
  fulfil?(
    dutyId: string,
    input: { by: string; actor?: string; evidence: unknown; at?: Date | string },
  ): Promise<unknown>;
}

/** What the registry needs of consent's notifier (ConsentNotifier satisfies it). */
export interface VersionWithdrawals {
  withdrawalsAffecting(
    agreementId: string,
    builtAt: string,
    members: readonly string[],
  ): Promise<readonly { id: string; kind: string; learner: string }[]>;
}

export interface DatasetVersionsOptions {
  now?: () => Date;
  /**
   * Signs the operator's deletion evidence (a compact JWS, contract's `signDeletion`) for a participant
   * hosted here: given, `deleteExpired` fulfils the open deletion duties assigned to the agreement's
   * operator with it. Returns undefined when this server holds no key for that participant.
   */
  signDeletion?: (
    participant: string,
    statement: { agreement: string; duty: string; deletedAt: string; deleted: string[] },
  ) => Promise<string | undefined>;
  /** How long a permitted download lets its consumer fetch the files (default 1 hour). */
  downloadWindowMs?: number;
}

/** A version as listed. */
export interface DatasetVersion {
  id: string;
  name: string;
  version: string;
  agreement: string;
  consumer: string;
  dir: string;
  merkleRoot: string;
  records: number;
  learners: number;
  purpose: string | null;
  specDigest: string | null;
  builtAt: string;
  builtBy: string;
  recordedAt: string;
  state: VersionState;
  supersededAt: string | null;
  supersededReason: string | null;
  deletedAt: string | null;
  deletionDigest: string | null;
}

export interface VersionEvent {
  seq: number;
  kind: VersionEventKind;
  at: string;
  actor: string;
  details: Record<string, unknown>;
}

/** What the build said of a version besides its files: coverage, sources, labels, splits. */
export interface VersionSummary {
  consent: BuildResult["consent"];
  sources: BuildResult["sources"];
  labels: BuildResult["labels"];
  splits: BuildResult["splits"];
  /** The data files as the build described them (split, format, rows, record set). */
  data: BuildResult["files"];
}

/** A version shown in full: its files, lineage root, consent coverage, history, and what replaced it. */
export interface DatasetVersionDetail extends DatasetVersion {
  files: InventoryFile[];
  summary: VersionSummary;
  events: VersionEvent[];
  /** The newest current version of the same dataset and agreement built after this one, if any. */
  supersededBy: { id: string; version: string } | null;
}

export interface RecordInput {
  agreementId: string;
  name: string;
  /** Default: `nextVersion(name)`. */
  version?: string;
  /** The consumer participant the agreement names (default: its consumer party). */
  consumer?: string;
  builtAt: Date | string;
  builtBy: string;
  /** The purpose the build was decided for (downloads are asked for the same). */
  purpose?: string;
  /** SHA-256 of the build spec's text, to tell rebuilds of the same spec apart. */
  specDigest?: string;
}

/** The parts of a build's result the registry keeps; `members` when the build gives them. */
export type RecordedBuild = Pick<
  BuildResult,
  "dir" | "files" | "root" | "records" | "sources" | "consent" | "learners" | "labels" | "splits"
> & { members?: readonly string[] };

export interface DownloadGrant {
  version: DatasetVersion;
  decision: { decision: string; reason: string; at: string };
  /** Every file of the version, with where it is on this machine. */
  files: (InventoryFile & { absolute: string })[];
  /** Until when the files may be fetched under this decision (the HTTP file route). */
  until: string;
}

export interface SupersedeResult {
  superseded: { id: string; name: string; version: string; learners: number; withdrawals: string[] }[];
  notifications: number;
}

export interface DeleteResult {
  deleted: { id: string; name: string; version: string; digest: string; files: number }[];
  /** Deletion duties of the operator fulfilled with the evidence. */
  dutiesFulfilled: string[];
  /** Open deletion duties left to others (each consumer proves its own copies' deletion). */
  dutiesLeftOpen: string[];
}

interface VersionRow {
  id: string;
  name: string;
  version: string;
  agreement_id: string;
  consumer: string;
  dir: string;
  merkle_root: string;
  records: number | string;
  learners: number;
  purpose: string | null;
  files: string;
  summary: string;
  spec_digest: string | null;
  built_at: string;
  built_by: string;
  recorded_at: string;
  state: string;
  superseded_at: string | null;
  superseded_reason: string | null;
  deleted_at: string | null;
  deletion_digest: string | null;
}
const COLUMNS =
  "id, name, version, agreement_id, consumer, dir, merkle_root, records, learners, purpose, files, summary, spec_digest, built_at, built_by, recorded_at, state, superseded_at, superseded_reason, deleted_at, deletion_digest";

const versionOf = (r: VersionRow): DatasetVersion => ({
  id: r.id,
  name: r.name,
  version: r.version,
  agreement: r.agreement_id,
  consumer: r.consumer,
  dir: r.dir,
  merkleRoot: r.merkle_root,
  records: Number(r.records),
  learners: Number(r.learners),
  purpose: r.purpose,
  specDigest: r.spec_digest,
  builtAt: r.built_at,
  builtBy: r.built_by,
  recordedAt: r.recorded_at,
  state: r.state as VersionState,
  supersededAt: r.superseded_at,
  supersededReason: r.superseded_reason,
  deletedAt: r.deleted_at,
  deletionDigest: r.deletion_digest,
});

const iso = (t: Date | string, what: string) => {
  const d = typeof t === "string" ? new Date(t) : t;
  if (Number.isNaN(d.getTime()))
    throw new VersionError(400, `${what} must be a date-time, not '${String(t)}'`);
  return d.toISOString();
};

/** Agreement states after which a version may no longer be kept. */
const ENDED = new Set(["expired", "terminated", "revoked"]);
/** Consent states a learner leaves the valid set for (as consent's notifier counts them). */
const LEFT = new Set(["withdrawn", "expired", "invalidated"]);
const VALID_BEFORE = new Set(["given", "renewed"]);

export class DatasetVersions {
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: VersionAgreements,
    private readonly enforcement: VersionEnforcement,
    private readonly withdrawals?: VersionWithdrawals,
    private readonly options: DatasetVersionsOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  // ------------------------------------------------------------------ recording

  /** The number the next build of `name` should take (1.0.0, then 1.1.0, 1.2.0…). */
  async nextVersion(name: string, q: Queryable = this.db): Promise<string> {
    const rows = await q.all<{ version: string }>("SELECT version FROM dataset_versions WHERE name = ?", [
      name,
    ]);
    return nextVersionAfter(rows.map((r) => r.version));
  }

  /**
   * Records a built version: its inventory (every file of the folder with its SHA-256), its members,
   * and a `recorded` event, audited. A name and number already taken is refused (409).
   */
  async record(result: RecordedBuild, input: RecordInput): Promise<DatasetVersion> {
    if (typeof input.name !== "string" || !input.name)
      throw new VersionError(400, "a version needs its dataset's name");
    const builtAt = iso(input.builtAt, "builtAt");
    const agreement = await this.agreements.get(input.agreementId);
    if (!agreement) throw new VersionError(404, `no agreement ${input.agreementId}`);
    const consumer = input.consumer ?? agreement.parties.find((p) => p.role === "consumer")?.participant;
    if (!consumer) throw new VersionError(400, `agreement ${input.agreementId} names no consumer`);
    if (!agreement.parties.some((p) => p.participant === consumer && p.role === "consumer"))
      throw new VersionError(400, `'${consumer}' is not the consumer of agreement ${input.agreementId}`);
    if (!existsSync(join(result.dir, "lineage.json")))
      throw new VersionError(400, `${result.dir} holds no version (no lineage.json)`);
    const dir = realpathSync(result.dir);
    const files = inventory(dir);
    const members = [...new Set(result.members ?? (await membersFromShards(dir, result.files)))].sort();
    const summary: VersionSummary = {
      consent: result.consent,
      sources: result.sources,
      labels: result.labels,
      splits: result.splits,
      data: result.files,
    };
    const at = this.now().toISOString();
    const id = `urn:uuid:${randomUUID()}`;
    return this.db.transaction(
      async (tx) => {
        const version = input.version ?? (await this.nextVersion(input.name, tx));
        try {
          checkVersionNumber(version);
        } catch (err) {
          throw new VersionError(400, (err as Error).message);
        }
        const taken = await tx.one("SELECT id FROM dataset_versions WHERE name = ? AND version = ?", [
          input.name,
          version,
        ]);
        if (taken)
          throw new VersionError(
            409,
            `${input.name} ${version} is already recorded: the next free number is ${await this.nextVersion(input.name, tx)}`,
          );
        await tx.run(
          `INSERT INTO dataset_versions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL, NULL, NULL, NULL)`,
          [
            id,
            input.name,
            version,
            input.agreementId,
            consumer,
            dir,
            result.root,
            result.records,
            members.length || result.learners,
            input.purpose ?? null,
            canonicalJson(files),
            canonicalJson(summary),
            input.specDigest ?? null,
            builtAt,
            input.builtBy,
            at,
          ],
        );
        for (let i = 0; i < members.length; i += 500)
          await tx.insertMany(
            "dataset_version_members",
            ["version_id", "learner"],
            members.slice(i, i + 500).map((m) => [id, m]),
          );
        await this.event(tx, id, "recorded", at, input.builtBy, {
          name: input.name,
          version,
          merkleRoot: result.root,
          files: files.length,
          learners: members.length,
        });
        await this.audit.append(
          {
            actor: input.builtBy,
            action: "pool.version.recorded",
            subject: input.agreementId,
            details: {
              version: id,
              name: input.name,
              number: version,
              merkleRoot: result.root,
              files: files.length,
            },
          },
          tx,
        );
        return (await this.get(id, tx))!;
      },
      { lock: `learnpool:pool:versions:${input.name}` },
    );
  }

  private async event(
    tx: Queryable,
    id: string,
    kind: VersionEventKind,
    at: string,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await tx.run(
      "INSERT INTO dataset_version_events (version_id, kind, at, actor, details) VALUES (?, ?, ?, ?, ?)",
      [id, kind, at, actor, canonicalJson(details)],
    );
  }

  // ------------------------------------------------------------------ reading

  async get(id: string, q: Queryable = this.db): Promise<DatasetVersion | undefined> {
    const row = await q.one<VersionRow>(`SELECT ${COLUMNS} FROM dataset_versions WHERE id = ?`, [id]);
    return row && versionOf(row);
  }

  /** Versions, newest build first; `agreements` limits them to a set (what a party may see). */
  async list(
    filter: {
      agreement?: string;
      agreements?: readonly string[];
      consumer?: string;
      state?: VersionState;
      name?: string;
    } = {},
  ): Promise<DatasetVersion[]> {
    if (filter.state !== undefined && !VERSION_STATES.includes(filter.state))
      throw new VersionError(400, `state is ${VERSION_STATES.join(", ")}, not '${String(filter.state)}'`);
    if (filter.agreements && filter.agreements.length === 0) return [];
    const { sql, params } = whereSql(
      { agreement_id: filter.agreement, consumer: filter.consumer, state: filter.state, name: filter.name },
      { agreement_id: filter.agreements },
    );
    const rows = await this.db.all<VersionRow>(
      `SELECT ${COLUMNS} FROM dataset_versions ${sql} ORDER BY built_at DESC, name, version DESC`,
      params,
    );
    return rows.map(versionOf);
  }

  /** A version with its files, summary, history and successor; 404 when unknown. */
  async show(id: string): Promise<DatasetVersionDetail> {
    const row = await this.db.one<VersionRow>(`SELECT ${COLUMNS} FROM dataset_versions WHERE id = ?`, [id]);
    if (!row) throw new VersionError(404, `no dataset version ${id}`);
    const events = await this.db.all<{
      seq: number;
      kind: string;
      at: string;
      actor: string;
      details: string;
    }>("SELECT seq, kind, at, actor, details FROM dataset_version_events WHERE version_id = ? ORDER BY seq", [
      id,
    ]);
    const version = versionOf(row);
    return {
      ...version,
      files: JSON.parse(row.files) as InventoryFile[],
      summary: JSON.parse(row.summary) as VersionSummary,
      events: events.map((e) => ({
        seq: Number(e.seq),
        kind: e.kind as VersionEventKind,
        at: e.at,
        actor: e.actor,
        details: JSON.parse(e.details) as Record<string, unknown>,
      })),
      supersededBy: version.state === "current" ? null : await this.successorOf(version),
    };
  }

  private async successorOf(v: DatasetVersion): Promise<{ id: string; version: string } | null> {
    const row = await this.db.one<{ id: string; version: string }>(
      "SELECT id, version FROM dataset_versions WHERE name = ? AND agreement_id = ? AND state = 'current' AND built_at > ? ORDER BY built_at DESC LIMIT 1",
      [v.name, v.agreement, v.builtAt],
    );
    return row ?? null;
  }

  // ------------------------------------------------------------------ download

  /** Why a version may not be handed out any more (superseded or deleted), or undefined. */
  private async unavailable(v: DatasetVersion): Promise<VersionError | undefined> {
    if (v.state === "deleted")
      return new VersionError(
        410,
        `dataset version ${v.id} (${v.name} ${v.version}) was deleted at ${v.deletedAt} when its agreement ended; it cannot be downloaded`,
      );
    if (v.state === "superseded") {
      const next = await this.successorOf(v);
      return new VersionError(
        410,
        `dataset version ${v.id} (${v.name} ${v.version}) was superseded at ${v.supersededAt} (${v.supersededReason}); ${
          next
            ? `download ${next.id} (${v.name} ${next.version}) instead`
            : "no newer version has been built yet"
        }`,
      );
    }
    return undefined;
  }

  /**
   * A download of a version by `consumer`: only the consumer its agreement names, only while the version
   * is current, and only when the decision point permits the `export-download` step (one audited
   * `contract.decision`, one use counted). A permit is a `downloaded` event and returns the files.
   */
  async download(id: string, input: { actor: string; consumer: string; at?: Date }): Promise<DownloadGrant> {
    const v = await this.get(id);
    if (!v) throw new VersionError(404, `no dataset version ${id}`);
    const gone = await this.unavailable(v);
    if (gone) throw gone;
    const at = input.at ?? this.now();
    if (input.consumer !== v.consumer) {
      // Refused before the decision point: the agreement names another recipient. Still audited.
      await this.audit.append({
        actor: input.actor,
        action: "pool.version.download-refused",
        subject: v.agreement,
        details: { version: id, consumer: input.consumer, reason: "not the agreement's consumer" },
      });
      throw new VersionError(
        403,
        `'${input.consumer}' is not the consumer agreement ${v.agreement} names: only its consumer may download its versions`,
      );
    }
    const request = await this.downloadRequest(v);
    const decision = await this.enforcement.decide({
      step: "export-download",
      agreementId: v.agreement,
      actor: input.actor,
      request,
      at,
    });
    if (decision.decision !== "Permit")
      throw new VersionError(403, `download of dataset version ${id} denied: ${decision.reason}`);
    const when = at.toISOString();
    const until = new Date(at.getTime() + (this.options.downloadWindowMs ?? 3_600_000)).toISOString();
    const detail = await this.show(id);
    await this.db.transaction(async (tx) => {
      await this.event(tx, id, "downloaded", when, input.actor, {
        consumer: input.consumer,
        decision: decision.decision,
        reason: decision.reason,
        until,
      });
      await this.audit.append(
        {
          actor: input.actor,
          action: "pool.version.downloaded",
          subject: v.agreement,
          details: { version: id, consumer: input.consumer, files: detail.files.length, until },
        },
        tx,
      );
    });
    return {
      version: v,
      decision: { decision: decision.decision, reason: decision.reason, at: decision.at ?? when },
      files: detail.files.map((f) => ({ ...f, absolute: join(v.dir, f.path) })),
      until,
    };
  }

  /** What a download asks of the policy: distribute the agreement's target to its consumer, for the build's purpose. */
  private async downloadRequest(v: DatasetVersion): Promise<AccessRequest> {
    const agreement = await this.agreements.get(v.agreement);
    if (!agreement) throw new VersionError(404, `no agreement ${v.agreement}`);
    const party = agreement.parties.find((p) => p.participant === v.consumer);
    const iri = party?.iri ?? (await this.agreements.participants.get(v.consumer))?.iri;
    const policy = await this.agreements.policyOf(v.agreement);
    const target = policy.permissions.flatMap((r) => r.targets)[0];
    const purpose = v.purpose ?? declaredPurposes(policy)[0];
    return {
      action: `${ODRL}distribute`,
      ...(target ? { target } : {}),
      ...(iri ? { assignee: iri } : {}),
      context: { ...(purpose ? { purpose } : {}), ...(iri ? { recipient: iri } : {}) },
    };
  }

  /**
   * One file of a version for `consumer`, under a download it was permitted: the version still current,
   * the agreement still valid, a `downloaded` event of this consumer whose window is open, the path in
   * the inventory, and the bytes on disk still those recorded. Returns where to read it.
   */
  async file(
    id: string,
    path: string,
    input: { consumer: string; at?: Date },
  ): Promise<InventoryFile & { absolute: string }> {
    const wanted = (() => {
      try {
        return checkFilePath(path);
      } catch (err) {
        throw new VersionError(400, (err as Error).message);
      }
    })();
    const v = await this.get(id);
    if (!v || v.consumer !== input.consumer) throw new VersionError(404, `no dataset version ${id}`);
    const gone = await this.unavailable(v);
    if (gone) throw gone;
    const at = (input.at ?? this.now()).toISOString();
    const status = await this.agreements.status(v.agreement, new Date(at));
    if (!status.valid)
      throw new VersionError(403, `agreement ${v.agreement} is ${status.state}: ${status.reason}`);
    const grants = await this.db.all<{ details: string; at: string }>(
      "SELECT details, at FROM dataset_version_events WHERE version_id = ? AND kind = 'downloaded' ORDER BY seq DESC LIMIT 20",
      [id],
    );
    const open = grants.some((g) => {
      const d = JSON.parse(g.details) as { consumer?: string; until?: string };
      return d.consumer === input.consumer && g.at <= at && typeof d.until === "string" && at < d.until;
    });
    if (!open)
      throw new VersionError(
        403,
        `no permitted download of dataset version ${id} is open: ask one first (POST …/download), it lets the files be fetched for a while`,
      );
    const detail = await this.show(id);
    const file = detail.files.find((f) => f.path === wanted);
    if (!file) throw new VersionError(404, `dataset version ${id} has no file ${wanted}`);
    const absolute = resolve(v.dir, wanted);
    if (!absolute.startsWith(`${v.dir}/`)) throw new VersionError(400, `'${wanted}' is outside the version`);
    const now = existsSync(absolute)
      ? createHash("sha256").update(readFileSync(absolute)).digest("hex")
      : undefined;
    if (now !== file.sha256)
      throw new VersionError(
        409,
        `file ${wanted} of dataset version ${id} is not as recorded (changed or missing)`,
      );
    return { ...file, absolute };
  }

  // ------------------------------------------------------------------ withdrawals

  /**
   * Marks superseded each current version of which a member withdrew (or whose consent expired or was
   * invalidated) after the build, and queues a notification to its holders. Idempotent.
   */
  async supersedeForWithdrawals(at: Date = this.now(), actor = "system"): Promise<SupersedeResult> {
    if (!this.withdrawals)
      throw new VersionError(500, "the registry was built without consent's withdrawals");
    const out: SupersedeResult = { superseded: [], notifications: 0 };
    for (const v of await this.list({ state: "current" })) {
      const members = (
        await this.db.all<{ learner: string }>(
          "SELECT learner FROM dataset_version_members WHERE version_id = ?",
          [v.id],
        )
      ).map((r) => r.learner);
      if (members.length === 0) continue;
      const affecting = await this.withdrawals.withdrawalsAffecting(v.agreement, v.builtAt, members);
      if (affecting.length === 0) continue;
      const ids = [...new Set(affecting.map((w) => w.id))].sort();
      // A learner may have several withdrawals (several kinds); the reason counts learners.
      const learners = new Set(affecting.map((w) => w.learner)).size;
      const made = await this.db.transaction(
        (tx) => this.supersede(tx, v.id, ids, learners, at.toISOString(), actor),
        { lock: `learnpool:pool:version:${v.id}` },
      );
      if (made) {
        out.superseded.push({ id: v.id, name: v.name, version: v.version, learners, withdrawals: ids });
        out.notifications += made.notifications;
      }
    }
    return out;
  }

  /**
   * The consent listener: inside the transaction of a consent change that takes a learner out of the
   * valid set, the current versions under that agreement built before the change and holding the learner
   * are superseded in the same transaction (register after consent's notifier, so that the withdrawal
   * it opens is named). No network I/O.
   */
  listener(): (
    change: { agreement: string; learner: string; stateBefore: string; state: string; at: string },
    tx: Queryable,
  ) => Promise<void> {
    return async (change, tx) => {
      if (!LEFT.has(change.state) || !VALID_BEFORE.has(change.stateBefore)) return;
      const rows = await tx.all<{ id: string }>(
        `SELECT v.id FROM dataset_versions v JOIN dataset_version_members m ON m.version_id = v.id
         WHERE v.agreement_id = ? AND m.learner = ? AND v.state = 'current' AND v.built_at < ?`,
        [change.agreement, change.learner, change.at],
      );
      if (rows.length === 0) return;
      const withdrawal = await tx.one<{ id: string }>(
        "SELECT id FROM consent_withdrawals WHERE agreement_id = ? AND learner = ? AND effective_at = ? ORDER BY recorded_at DESC LIMIT 1",
        [change.agreement, change.learner, change.at],
      );
      for (const { id } of rows)
        await this.supersede(tx, id, withdrawal ? [withdrawal.id] : [], 1, change.at, "system");
    };
  }

  /** The state change, its event, audit and notifications, in `tx`; undefined when no longer current. */
  private async supersede(
    tx: Queryable,
    id: string,
    withdrawals: readonly string[],
    learners: number,
    at: string,
    actor: string,
  ): Promise<{ notifications: number } | undefined> {
    const v = await this.get(id, tx);
    if (v?.state !== "current") return undefined;
    const reason = `${learners} learner${learners === 1 ? "" : "s"} of the version withdrew or expired after the build`;
    await tx.run(
      "UPDATE dataset_versions SET state = 'superseded', superseded_at = ?, superseded_reason = ? WHERE id = ? AND state = 'current'",
      [at, reason, id],
    );
    await this.event(tx, id, "superseded", at, actor, { reason, learners, withdrawals: [...withdrawals] });
    // Holders: the consumer the agreement names, and whoever downloaded the version.
    const downloaders = await tx.all<{ details: string }>(
      "SELECT details FROM dataset_version_events WHERE version_id = ? AND kind = 'downloaded'",
      [id],
    );
    const holders = new Set([v.consumer]);
    for (const d of downloaders) {
      const c = (JSON.parse(d.details) as { consumer?: unknown }).consumer;
      if (typeof c === "string") holders.add(c);
    }
    const notifications: string[] = [];
    for (const holder of [...holders].sort()) {
      const nid = `urn:uuid:${randomUUID()}`;
      const body = {
        type: "learnpool.dataset.superseded",
        id: nid,
        version: id,
        name: v.name,
        number: v.version,
        agreement: v.agreement,
        at,
        reason,
        learners,
        withdrawals: [...withdrawals],
      };
      const inserted = await tx.run(
        `INSERT INTO dataset_notifications (id, version_id, agreement_id, holder, event, body, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, 'superseded', ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING`,
        [nid, id, v.agreement, holder, canonicalJson(body), at, at],
      );
      if (inserted.changes > 0) notifications.push(nid);
    }
    await this.audit.append(
      {
        actor,
        action: "pool.version.superseded",
        subject: v.agreement,
        details: { version: id, reason, withdrawals: [...withdrawals], notifications },
      },
      tx,
    );
    return { notifications: notifications.length };
  }

  // ------------------------------------------------------------------ deletion

  /**
   * Deletes the folder of every version whose agreement has ended at `at` (expired, terminated,
   * revoked), keeping the evidence: each file's path and SHA-256 just before, the Merkle root, when and
   * by whom, sealed by a digest; stored as the `deleted` event and in the audit trail. Open deletion
   * duties assigned to the agreement's operator are fulfilled with signed evidence when this server
   * holds the operator's key (`signDeletion`); the others are listed as left open.
   */
  async deleteExpired(at: Date = this.now(), actor = "system"): Promise<DeleteResult> {
    const out: DeleteResult = { deleted: [], dutiesFulfilled: [], dutiesLeftOpen: [] };
    const candidates = (await this.list()).filter((v) => v.state !== "deleted");
    const ended = new Map<string, { state: string; reason: string } | undefined>();
    for (const v of candidates) {
      if (!ended.has(v.agreement)) {
        const s = await this.agreements.status(v.agreement, at);
        ended.set(v.agreement, ENDED.has(s.state) ? { state: s.state, reason: s.reason } : undefined);
      }
      const end = ended.get(v.agreement);
      if (!end) continue;
      const recorded = JSON.parse(
        (await this.db.one<{ files: string }>("SELECT files FROM dataset_versions WHERE id = ?", [v.id]))!
          .files,
      ) as InventoryFile[];
      const folderFound = existsSync(v.dir);
      const evidence: DeletionEvidence = {
        version: v.id,
        name: v.name,
        number: v.version,
        agreement: v.agreement,
        agreementState: end.state,
        reason: end.reason,
        merkleRoot: v.merkleRoot,
        files: folderFound ? inventory(v.dir) : recorded,
        folderFound,
        deletedAt: at.toISOString(),
        deletedBy: actor,
      };
      const digest = deletionDigest(evidence);
      if (folderFound) rmSync(v.dir, { recursive: true, force: true });
      const done = await this.db.transaction(
        async (tx) => {
          const now = await this.get(v.id, tx);
          if (!now || now.state === "deleted") return false;
          await tx.run(
            "UPDATE dataset_versions SET state = 'deleted', deleted_at = ?, deletion_digest = ? WHERE id = ?",
            [evidence.deletedAt, digest, v.id],
          );
          await this.event(tx, v.id, "deleted", evidence.deletedAt, actor, { evidence, digest });
          await this.audit.append(
            {
              actor,
              action: "pool.version.deleted",
              subject: v.agreement,
              details: {
                version: v.id,
                digest,
                merkleRoot: v.merkleRoot,
                files: evidence.files.length,
                agreementState: end.state,
                folderFound,
              },
            },
            tx,
          );
          return true;
        },
        { lock: `learnpool:pool:version:${v.id}` },
      );
      if (done)
        out.deleted.push({
          id: v.id,
          name: v.name,
          version: v.version,
          digest,
          files: evidence.files.length,
        });
    }
    await this.fulfilOperatorDuties(out, at, actor);
    return out;
  }

  /** Deletion duties of the ended agreements: the operator's fulfilled with its signed evidence. */
  private async fulfilOperatorDuties(out: DeleteResult, at: Date, actor: string): Promise<void> {
    const { duties, fulfil } = this.enforcement;
    if (!duties || !fulfil || out.deleted.length === 0) return;
    const byAgreement = new Map<string, DeleteResult["deleted"]>();
    for (const d of out.deleted) {
      const v = (await this.get(d.id))!;
      byAgreement.set(v.agreement, [...(byAgreement.get(v.agreement) ?? []), d]);
    }
    const open = await duties.call(this.enforcement, { agreements: [...byAgreement.keys()], state: "open" });
    for (const duty of open.filter((d) => d.kind === "deletion")) {
      const operator = (await this.agreements.get(duty.agreement))?.parties.find(
        (p) => p.role === "operator",
      )?.participant;
      const deleted = byAgreement.get(duty.agreement) ?? [];
      const jws =
        operator && duty.assignee === operator && this.options.signDeletion
          ? await this.options.signDeletion(operator, {
              agreement: duty.agreement,
              duty: duty.duty,
              deletedAt: at.toISOString(),
              deleted: deleted.map((d) => `dataset version ${d.id} (evidence sha256:${d.digest})`),
            })
          : undefined;
      if (jws && operator) {
        await fulfil.call(this.enforcement, duty.id, { by: operator, actor, evidence: { jws }, at });
        out.dutiesFulfilled.push(duty.id);
      } else out.dutiesLeftOpen.push(duty.id);
    }
  }

  /** Both sweeps: supersede for withdrawals, then delete what ended. */
  async sweep(
    at: Date = this.now(),
    actor = "system",
  ): Promise<{ superseded: SupersedeResult; deleted: DeleteResult }> {
    const superseded = await this.supersedeForWithdrawals(at, actor);
    const deleted = await this.deleteExpired(at, actor);
    return { superseded, deleted };
  }
}

/** The learners of a version read from its data files, when the build did not list them. */
async function membersFromShards(dir: string, files: BuildResult["files"]): Promise<string[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    const out = new Set<string>();
    for (const f of files) {
      const path = join(dir, f.path).replace(/'/g, "''");
      const reader =
        f.format === "parquet" ? "read_parquet" : f.format === "csv" ? "read_csv_auto" : "read_json_auto";
      const rows = (await c.runAndReadAll(`SELECT DISTINCT learner FROM ${reader}('${path}')`)).getRowsJS();
      for (const [learner] of rows) if (typeof learner === "string") out.add(learner);
    }
    return [...out];
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
