/**
 * The registry of training jobs over the database (migration 14): a consumer submits a job on a
 * dataset version its agreement names it for; the decision point admits it (`training-admission`, the
 * purpose asked, the agreement's count of runs) or the job is recorded refused with the reason; an
 * admitted job runs on a worker thread under its limits, then the release gate and the decision point
 * (`model-release`) decide which artefacts leave. A withdrawal after training is recorded against the
 * jobs whose version held the learner. Every state change is an event of the job (append-only) and an
 * audit event, written in one transaction.
 *
 * Pseudonyms are read here only to match withdrawals (a version's members); they never reach an event,
 * an audit record, a result or an error.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AuditLog } from "../../audit/index.js";
import {
  type AccessRequest,
  canonicalJson,
  declaredPurposes,
  ODRL,
  type Policy,
} from "../../contract/index.js";
// Types only: the pool's build (and DuckDB with it) is not loaded by the registry.
import type { DatasetVersion, DatasetVersionDetail } from "../../pool/index.js";
import { whereSql } from "../../store/filters.js";
import type { Database, Queryable } from "../../store/index.js";
import { type GateServices, type GateVerdict, type ReleaseGate, releaseGateOf } from "./gate.js";
import { runInWorker, type WorkerOptions } from "./runner.js";
import type { JobSpec } from "./spec.js";
import type { Artefact, TrainingResult } from "./training.js";

export class JobError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "JobError";
  }
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "refused";
export const JOB_STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "refused"];
export type JobEventKind =
  | "submitted"
  | "admitted"
  | "refused"
  | "started"
  | "progress"
  | "succeeded"
  | "failed"
  | "released"
  | "withheld"
  | "withdrawal-after-training";

/** What the registry needs of the agreements registry (AgreementRegistry satisfies it). */
export interface JobAgreements {
  get(
    id: string,
  ): Promise<
    { id: string; parties: readonly { participant: string; role: string; iri?: string }[] } | undefined
  >;
  policyOf(id: string): Promise<Policy>;
  participants: { get(id: string): Promise<{ iri: string } | undefined> };
}

/** What the registry needs of enforcement (PolicyEnforcement satisfies it). */
export interface JobEnforcement {
  decide(input: {
    step: "training-admission" | "model-release";
    agreementId: string;
    actor: string;
    request: AccessRequest;
    at?: Date;
  }): Promise<{ decision: string; reason: string }>;
  /** The agreement's nextPolicy duties (model release carries them: the card names them). */
  nextPolicyFor?(
    agreementId: string,
  ): Promise<readonly { policy: string; dutyId: string | null; state: string }[]>;
  /** Records a release with the next policy it carries, fulfilling the open nextPolicy duty. */
  recordRelease?(
    agreementId: string,
    input: { release: string; policy: string; by: string; actor?: string; at?: Date | string },
  ): Promise<readonly unknown[]>;
}

/** What the registry needs of the versions registry (DatasetVersions satisfies it). */
export interface JobVersions {
  get(id: string): Promise<DatasetVersion | undefined>;
  show(id: string): Promise<DatasetVersionDetail>;
}

/** What the registry needs of consent's notifier (ConsentNotifier satisfies it). */
export interface JobWithdrawals {
  withdrawalsAffecting(
    agreementId: string,
    since: string,
    members: readonly string[],
  ): Promise<readonly { id: string; kind: string; learner: string }[]>;
}

export interface TrainingJobsOptions {
  /** Where each job's folder is made: `<jobsDir>/<job uuid>`. */
  jobsDir: string;
  now?: () => Date;
  /** The release gate (default: `train/release`'s gate over the agreement's terms, `releaseGateOf`). */
  gate?: ReleaseGate;
  /** The privacy-budget ledger a DP job's ε is charged to; without it a DP model never leaves. */
  ledger?: GateServices["ledger"];
  /** Consent's withdrawals: refuses versions a learner left, and records withdrawals after training. */
  withdrawals?: JobWithdrawals;
  /** How the worker thread starts (a TypeScript loader when running from the sources). */
  worker?: WorkerOptions;
}

export interface JobArtefact extends Artefact {
  released: boolean;
  /** Why it is withheld; null when released. */
  reason: string | null;
}

export interface JobRelease {
  outcome: "released" | "partial" | "withheld";
  /** The model-release decision, when the gate let something through. */
  decision: { decision: string; reason: string } | null;
  /** What the gate measured. */
  gate: Record<string, unknown>;
  /** What the gate withheld besides files (metric slices, split sizes…), with the reasons. */
  withheld: { name: string; reason: string }[];
  /** The agreement's next policies the release carries, and whether their duty was fulfilled by it. */
  nextPolicies: { policy: string; fulfilled: boolean; reason?: string }[];
}

/** A job as listed. */
export interface TrainingJob {
  id: string;
  agreement: string;
  version: string;
  consumer: string;
  submittedBy: string;
  purpose: string | null;
  state: JobState;
  reason: string | null;
  progress: { stage: string | null; fraction: number };
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobEvent {
  seq: number;
  kind: JobEventKind;
  at: string;
  actor: string;
  details: Record<string, unknown>;
}

/** A job in full: its spec, result (metrics, counts), artefacts with their verdicts, release, history. */
export interface TrainingJobDetail extends TrainingJob {
  spec: JobSpec;
  specDigest: string;
  dir: string | null;
  result: Omit<TrainingResult, "heldIn" | "heldOut" | "artefacts" | "modelJson" | "curves"> | null;
  artefacts: JobArtefact[];
  release: JobRelease | null;
  /** Consent withdrawals recorded after training (ids only). */
  withdrawalsAfterTraining: { withdrawal: string; recordedAt: string }[];
  events: JobEvent[];
}

interface JobRow {
  id: string;
  agreement_id: string;
  version_id: string;
  consumer: string;
  submitted_by: string;
  spec: string;
  spec_digest: string;
  purpose: string | null;
  state: string;
  reason: string | null;
  stage: string | null;
  fraction: number | string;
  dir: string | null;
  result: string | null;
  artefacts: string | null;
  release: string | null;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
}
const COLUMNS =
  "id, agreement_id, version_id, consumer, submitted_by, spec, spec_digest, purpose, state, reason, stage, fraction, dir, result, artefacts, release, submitted_at, started_at, finished_at";

const jobOf = (r: JobRow): TrainingJob => ({
  id: r.id,
  agreement: r.agreement_id,
  version: r.version_id,
  consumer: r.consumer,
  submittedBy: r.submitted_by,
  purpose: r.purpose,
  state: r.state as JobState,
  reason: r.reason,
  progress: { stage: r.stage, fraction: Number(r.fraction) },
  submittedAt: r.submitted_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** JSON for a stored document: a non-finite number (a DP fit's objective is NaN) is stored as null. */
const stored = (value: unknown) =>
  canonicalJson(
    JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v))),
  );

/** Consent states a learner leaves the valid set for (as consent's notifier counts them). */
const LEFT = new Set(["withdrawn", "expired", "invalidated"]);
const VALID_BEFORE = new Set(["given", "renewed"]);

export class TrainingJobs {
  private readonly now: () => Date;
  private readonly gate: ReleaseGate;
  /** Jobs started in the background run one after another (the machine's cores are shared). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: JobAgreements,
    private readonly enforcement: JobEnforcement,
    private readonly versions: JobVersions,
    private readonly options: TrainingJobsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.gate =
      options.gate ??
      releaseGateOf({ agreements, versions, ...(options.ledger && { ledger: options.ledger }) });
  }

  // ------------------------------------------------------------------ submission and admission

  /**
   * Submits a job for `consumer`: only on a current version its agreement names it for (another
   * consumer gets a 404, audited), only with the view the spec names; then the decision point decides
   * `training-admission` (one audited `contract.decision`, one counted use on a permit). A permit
   * queues the job, a denial records it refused with the decision's reason.
   */
  async submit(
    spec: JobSpec,
    input: { consumer: string; actor: string; specText?: string },
  ): Promise<TrainingJob> {
    const at = this.now();
    const v = await this.versions.get(spec.version);
    if (!v || v.consumer !== input.consumer) {
      await this.audit.append({
        actor: input.actor,
        action: "train.job.submission-refused",
        subject: v?.agreement ?? spec.version,
        details: {
          version: spec.version,
          consumer: input.consumer,
          reason: "no such version for this consumer",
        },
      });
      throw new JobError(404, `no dataset version ${spec.version}`);
    }
    const detail = await this.versions.show(v.id);
    if (!detail.summary.data.some((f) => f.recordSet === spec.view))
      throw new JobError(
        400,
        `view: dataset version ${v.id} has no view ${spec.view} (it has ${[...new Set(detail.summary.data.map((f) => f.recordSet))].join(", ")})`,
      );
    const policy = await this.agreements.policyOf(v.agreement);
    const purpose = spec.purpose ?? v.purpose ?? declaredPurposes(policy)[0] ?? null;
    const specDigest = createHash("sha256")
      .update(input.specText ?? canonicalJson(spec), "utf8")
      .digest("hex");
    // Refusals that need no decision: the version no longer holds only consenting learners.
    let refusal: string | undefined;
    if (v.state !== "current")
      refusal = `dataset version ${v.id} is ${v.state}: train on its current successor`;
    else if (this.options.withdrawals) {
      const left = await this.withdrawalsSince(v, v.builtAt);
      if (left.length > 0)
        refusal = `${new Set(left.map((w) => w.learner)).size} learner(s) of dataset version ${v.id} withdrew after its build: train on a newer version`;
    }
    let decision: { decision: string; reason: string } | undefined;
    if (!refusal) {
      decision = await this.enforcement.decide({
        step: "training-admission",
        agreementId: v.agreement,
        actor: input.actor,
        request: await this.request(v, policy, "derive", purpose),
        at,
      });
      if (decision.decision !== "Permit") refusal = `training admission denied: ${decision.reason}`;
    }
    const id = `urn:uuid:${randomUUID()}`;
    const when = at.toISOString();
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO training_jobs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL, NULL, NULL, NULL, ?, NULL, ?)`,
        [
          id,
          v.agreement,
          v.id,
          input.consumer,
          input.actor,
          canonicalJson(spec),
          specDigest,
          purpose,
          refusal ? "refused" : "queued",
          refusal ?? null,
          when,
          refusal ? when : null,
        ],
      );
      await this.event(tx, id, "submitted", when, input.actor, {
        version: v.id,
        model: spec.model.kind,
        view: spec.view,
        label: spec.label,
        specDigest,
      });
      await this.event(tx, id, refusal ? "refused" : "admitted", when, input.actor, {
        purpose,
        ...(decision && { decision: decision.decision }),
        reason: refusal ?? decision?.reason ?? null,
      });
      await this.audit.append(
        {
          actor: input.actor,
          action: refusal ? "train.job.refused" : "train.job.submitted",
          subject: v.agreement,
          details: {
            job: id,
            version: v.id,
            consumer: input.consumer,
            purpose,
            model: spec.model.kind,
            ...(refusal && { reason: refusal }),
          },
        },
        tx,
      );
    });
    return (await this.get(id))!;
  }

  /** What a step asks of the policy: `action` on the agreement's target by its consumer, for `purpose`. */
  private async request(
    v: DatasetVersion,
    policy: Policy,
    action: "derive" | "distribute",
    purpose: string | null,
    measured: Record<string, string | number> = {},
  ): Promise<AccessRequest> {
    const agreement = await this.agreements.get(v.agreement);
    const party = agreement?.parties.find((p) => p.participant === v.consumer);
    const iri = party?.iri ?? (await this.agreements.participants.get(v.consumer))?.iri;
    const target = policy.permissions.flatMap((r) => r.targets)[0];
    return {
      action: `${ODRL}${action}`,
      ...(target ? { target } : {}),
      ...(iri ? { assignee: iri } : {}),
      context: { ...(purpose ? { purpose } : {}), ...(iri ? { recipient: iri } : {}), ...measured },
    };
  }

  private async members(versionId: string, q: Queryable = this.db): Promise<string[]> {
    return (
      await q.all<{ learner: string }>("SELECT learner FROM dataset_version_members WHERE version_id = ?", [
        versionId,
      ])
    ).map((r) => r.learner);
  }

  private async withdrawalsSince(v: { id: string; agreement: string }, since: string) {
    const members = await this.members(v.id);
    if (members.length === 0 || !this.options.withdrawals) return [];
    return this.options.withdrawals.withdrawalsAffecting(v.agreement, since, members);
  }

  // ------------------------------------------------------------------ running

  /** Runs a queued job in the background, after the jobs started before it; returns at once. */
  start(id: string, actor = "system"): void {
    this.queue = this.queue.then(() => this.run(id, actor)).catch(() => undefined);
  }

  /** Starts, in the background and in order, every job still queued (submitted from the CLI without --wait). */
  async startQueued(actor = "system"): Promise<string[]> {
    // Submission order is the order of their `submitted` events (instants may tie).
    const queued = (
      await this.db.all<{ id: string }>(
        "SELECT j.id FROM training_jobs j JOIN training_job_events e ON e.job_id = j.id AND e.kind = 'submitted' WHERE j.state = 'queued' ORDER BY e.seq",
      )
    ).map((r) => r.id);
    for (const id of queued) this.start(id, actor);
    return queued;
  }

  /** Resolves when every job started so far has ended. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /**
   * Runs a queued job to its end: running (audited), the training on a worker thread under the spec's
   * limits with its progress recorded, then — when it trained — the release gate and, for what the
   * gate would release, the `model-release` decision; only a permit releases. Returns the job as it
   * ended (succeeded or failed).
   */
  async run(
    id: string,
    actor = "system",
    onProgress?: (progress: { stage: string; fraction: number }) => void,
  ): Promise<TrainingJobDetail> {
    const started = this.now().toISOString();
    const row = await this.db.transaction(
      async (tx) => {
        const r = await tx.one<JobRow>(`SELECT ${COLUMNS} FROM training_jobs WHERE id = ?`, [id]);
        if (!r) throw new JobError(404, `no training job ${id}`);
        if (r.state !== "queued") throw new JobError(409, `training job ${id} is ${r.state}, not queued`);
        const dir = resolve(this.options.jobsDir, id.replace(/^urn:uuid:/, ""));
        await tx.run(
          "UPDATE training_jobs SET state = 'running', started_at = ?, dir = ?, stage = 'starting', fraction = 0 WHERE id = ? AND state = 'queued'",
          [started, dir, id],
        );
        await this.event(tx, id, "started", started, actor, {});
        await this.audit.append(
          {
            actor,
            action: "train.job.started",
            subject: r.agreement_id,
            details: { job: id, version: r.version_id },
          },
          tx,
        );
        return { ...r, dir };
      },
      { lock: `learnpool:train:job:${id}` },
    );
    try {
      return await this.trainAndRelease(id, row as JobRow & { dir: string }, actor, onProgress);
    } catch (err) {
      // Whatever breaks after the start, the job ends failed rather than running for ever.
      const reason = `the job's run failed: ${err instanceof Error ? err.message : String(err)}`;
      return this.finishFailed(id, row.agreement_id, reason, actor);
    }
  }

  private async trainAndRelease(
    id: string,
    row: JobRow & { dir: string },
    actor: string,
    onProgress?: (progress: { stage: string; fraction: number }) => void,
  ): Promise<TrainingJobDetail> {
    const spec = JSON.parse(row.spec) as JobSpec;
    const v = await this.versions.get(row.version_id);
    if (!v) throw new JobError(404, `no dataset version ${row.version_id}`);

    // Progress: the row follows every report; each new stage is an event too.
    let lastStage = "starting";
    let writes = Promise.resolve();
    const progress = (stage: string, fraction: number) => {
      onProgress?.({ stage, fraction });
      const at = this.now().toISOString();
      const newStage = stage !== lastStage;
      lastStage = stage;
      writes = writes.then(() =>
        this.db
          .transaction(async (tx) => {
            await tx.run(
              "UPDATE training_jobs SET stage = ?, fraction = ? WHERE id = ? AND state = 'running'",
              [stage, fraction, id],
            );
            if (newStage) await this.event(tx, id, "progress", at, actor, { stage, fraction });
          })
          .catch(() => undefined),
      );
    };
    const outcome = await runInWorker(
      { spec, versionDir: v.dir, outDir: row.dir },
      progress,
      this.options.worker,
    );
    await writes;
    if (!outcome.ok) return this.finishFailed(id, row.agreement_id, outcome.reason, actor);

    // What may leave: the gate, then the decision point for what the gate would release.
    const result = outcome.result;
    let verdict: GateVerdict;
    try {
      verdict = await this.gate({
        job: id,
        agreement: row.agreement_id,
        version: row.version_id,
        consumer: row.consumer,
        spec,
        dir: row.dir,
        result,
      });
    } catch (err) {
      verdict = {
        released: [],
        withheld: result.artefacts.map((a) => ({
          name: a.name,
          reason: `the release gate failed: ${(err as Error).message}`,
        })),
      };
    }
    const all = [...result.artefacts, ...(verdict.added ?? [])];
    let decision: { decision: string; reason: string } | null = null;
    const withheldBy = new Map(verdict.withheld.map((w) => [w.name, w.reason]));
    let released = new Set(
      verdict.released.filter((n) => all.some((a) => a.name === n) && !withheldBy.has(n)),
    );
    if (released.size > 0) {
      const policy = await this.agreements.policyOf(row.agreement_id);
      decision = await this.enforcement.decide({
        step: "model-release",
        agreementId: row.agreement_id,
        actor,
        request: await this.request(v, policy, "distribute", row.purpose, releaseFacts(verdict)),
        at: this.now(),
      });
      if (decision.decision !== "Permit") {
        for (const n of released) withheldBy.set(n, `model release denied: ${decision.reason}`);
        released = new Set();
      }
    }
    const nextPolicies = released.size > 0 ? await this.carryNextPolicies(id, row, actor) : [];
    const artefacts: JobArtefact[] = all.map((a) => ({
      ...a,
      released: released.has(a.name),
      reason: released.has(a.name) ? null : (withheldBy.get(a.name) ?? "the release gate did not release it"),
    }));
    const release: JobRelease = {
      outcome: released.size === 0 ? "withheld" : released.size === all.length ? "released" : "partial",
      decision,
      gate: verdict.details ?? {},
      withheld: verdict.withheld.filter((w) => !all.some((a) => a.name === w.name)),
      nextPolicies,
    };
    // Kept with the job: counts, metrics, groups; not the scores, the model or the curves (files hold those).
    const { heldIn: _in, heldOut: _out, artefacts: _a, modelJson: _m, curves: _c, ...kept } = result;
    const finished = this.now().toISOString();
    await this.db.transaction(
      async (tx) => {
        await tx.run(
          "UPDATE training_jobs SET state = 'succeeded', stage = 'done', fraction = 1, result = ?, artefacts = ?, release = ?, finished_at = ? WHERE id = ? AND state = 'running'",
          [stored(kept), stored(artefacts), stored(release), finished, id],
        );
        // Counts and metrics stay in the job's result (the operator's): the gate decides what a consumer sees.
        await this.event(tx, id, "succeeded", finished, actor, {
          artefacts: artefacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
        });
        const releasedNames = artefacts.filter((a) => a.released).map((a) => a.name);
        const withheld = artefacts
          .filter((a) => !a.released)
          .map((a) => ({ name: a.name, reason: a.reason }));
        await this.event(tx, id, releasedNames.length > 0 ? "released" : "withheld", finished, actor, {
          outcome: release.outcome,
          released: releasedNames,
          withheld,
          decision,
        });
        await this.audit.append(
          {
            actor,
            action: "train.job.succeeded",
            subject: row.agreement_id,
            details: { job: id, version: row.version_id, artefacts: artefacts.length },
          },
          tx,
        );
        await this.audit.append(
          {
            actor,
            action: releasedNames.length > 0 ? "train.job.released" : "train.job.withheld",
            subject: row.agreement_id,
            details: {
              job: id,
              outcome: release.outcome,
              released: artefacts.filter((a) => a.released).map((a) => ({ name: a.name, sha256: a.sha256 })),
              withheld: withheld.length,
              decision: decision?.decision ?? null,
            },
          },
          tx,
        );
      },
      { lock: `learnpool:train:job:${id}` },
    );
    return this.show(id);
  }

  /**
   * The released model carries the agreement's next policies (its card names them): each open
   * nextPolicy duty is fulfilled by recording this release, on behalf of the consumer it falls to.
   */
  private async carryNextPolicies(
    id: string,
    row: JobRow,
    actor: string,
  ): Promise<JobRelease["nextPolicies"]> {
    const { nextPolicyFor, recordRelease } = this.enforcement;
    if (!nextPolicyFor || !recordRelease) return [];
    const out: JobRelease["nextPolicies"] = [];
    for (const n of await nextPolicyFor.call(this.enforcement, row.agreement_id)) {
      if (out.some((o) => o.policy === n.policy)) continue;
      if (n.state !== "open") {
        out.push({ policy: n.policy, fulfilled: n.state === "fulfilled", reason: `its duty is ${n.state}` });
        continue;
      }
      try {
        const done = await recordRelease.call(this.enforcement, row.agreement_id, {
          release: `training job ${id}`,
          policy: n.policy,
          by: row.consumer,
          actor,
          at: this.now(),
        });
        out.push({ policy: n.policy, fulfilled: done.length > 0 });
      } catch (err) {
        out.push({ policy: n.policy, fulfilled: false, reason: (err as Error).message });
      }
    }
    return out;
  }

  /**
   * Jobs left running past their time limit (and a minute's grace) cannot be running any more — the
   * worker would have been stopped — so the process that ran them stopped first: each is failed with
   * that reason. Safe with several processes on one database, since a live job is never that late.
   */
  async failInterrupted(at: Date = this.now(), actor = "system"): Promise<string[]> {
    const failed: string[] = [];
    for (const row of await this.db.all<JobRow>(
      `SELECT ${COLUMNS} FROM training_jobs WHERE state = 'running'`,
    )) {
      const { seconds } = (JSON.parse(row.spec) as JobSpec).limits;
      const deadline = Date.parse(row.started_at ?? row.submitted_at) + (seconds + 60) * 1000;
      if (at.getTime() <= deadline) continue;
      await this.finishFailed(
        row.id,
        row.agreement_id,
        "interrupted: the process running the job stopped before it finished",
        actor,
        at,
      );
      failed.push(row.id);
    }
    return failed;
  }

  private async finishFailed(
    id: string,
    agreement: string,
    reason: string,
    actor: string,
    when = this.now(),
  ) {
    const at = when.toISOString();
    await this.db.transaction(async (tx) => {
      await tx.run(
        "UPDATE training_jobs SET state = 'failed', reason = ?, finished_at = ? WHERE id = ? AND state = 'running'",
        [reason, at, id],
      );
      await this.event(tx, id, "failed", at, actor, { reason });
      await this.audit.append(
        { actor, action: "train.job.failed", subject: agreement, details: { job: id, reason } },
        tx,
      );
    });
    return this.show(id);
  }

  private async event(
    tx: Queryable,
    id: string,
    kind: JobEventKind,
    at: string,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await tx.run(
      "INSERT INTO training_job_events (job_id, kind, at, actor, details) VALUES (?, ?, ?, ?, ?)",
      [id, kind, at, actor, canonicalJson(details)],
    );
  }

  // ------------------------------------------------------------------ reading

  async get(id: string, q: Queryable = this.db): Promise<TrainingJob | undefined> {
    const row = await q.one<JobRow>(`SELECT ${COLUMNS} FROM training_jobs WHERE id = ?`, [id]);
    return row && jobOf(row);
  }

  /** Jobs, newest first; `consumer` limits them to one consumer's, `agreements` to a set. */
  async list(
    filter: { consumer?: string; agreements?: readonly string[]; version?: string; state?: JobState } = {},
  ): Promise<TrainingJob[]> {
    if (filter.state !== undefined && !JOB_STATES.includes(filter.state))
      throw new JobError(400, `state is ${JOB_STATES.join(", ")}, not '${String(filter.state)}'`);
    if (filter.agreements && filter.agreements.length === 0) return [];
    const { sql, params } = whereSql(
      { consumer: filter.consumer, version_id: filter.version, state: filter.state },
      { agreement_id: filter.agreements },
    );
    const rows = await this.db.all<JobRow>(
      `SELECT ${COLUMNS} FROM training_jobs ${sql} ORDER BY submitted_at DESC, id`,
      params,
    );
    return rows.map(jobOf);
  }

  /** A job in full; 404 when unknown. */
  async show(id: string): Promise<TrainingJobDetail> {
    const row = await this.db.one<JobRow>(`SELECT ${COLUMNS} FROM training_jobs WHERE id = ?`, [id]);
    if (!row) throw new JobError(404, `no training job ${id}`);
    const events = await this.db.all<{
      seq: number;
      kind: string;
      at: string;
      actor: string;
      details: string;
    }>("SELECT seq, kind, at, actor, details FROM training_job_events WHERE job_id = ? ORDER BY seq", [id]);
    const withdrawals = await this.db.all<{ withdrawal_id: string; recorded_at: string }>(
      "SELECT withdrawal_id, recorded_at FROM training_job_withdrawals WHERE job_id = ? ORDER BY recorded_at, withdrawal_id",
      [id],
    );
    return {
      ...jobOf(row),
      spec: JSON.parse(row.spec) as JobSpec,
      specDigest: row.spec_digest,
      dir: row.dir,
      result: row.result ? JSON.parse(row.result) : null,
      artefacts: row.artefacts ? (JSON.parse(row.artefacts) as JobArtefact[]) : [],
      release: row.release ? (JSON.parse(row.release) as JobRelease) : null,
      withdrawalsAfterTraining: withdrawals.map((w) => ({
        withdrawal: w.withdrawal_id,
        recordedAt: w.recorded_at,
      })),
      events: events.map((e) => ({
        seq: Number(e.seq),
        kind: e.kind as JobEventKind,
        at: e.at,
        actor: e.actor,
        details: JSON.parse(e.details) as Record<string, unknown>,
      })),
    };
  }

  /**
   * A released artefact of a job, for its consumer: where to read it, once its bytes are checked to
   * be those recorded. A withheld artefact is a 403 with its reason; another consumer's job a 404.
   */
  async artefact(
    id: string,
    name: string,
    input: { consumer: string },
  ): Promise<JobArtefact & { absolute: string }> {
    const job = await this.show(id).catch(() => undefined);
    if (!job || job.consumer !== input.consumer) throw new JobError(404, `no training job ${id}`);
    const a = job.artefacts.find((x) => x.name === name);
    if (!a || !job.dir) throw new JobError(404, `training job ${id} has no artefact ${name}`);
    if (!a.released)
      throw new JobError(403, `artefact ${name} of training job ${id} is withheld: ${a.reason}`);
    const absolute = join(job.dir, a.path);
    if (!absolute.startsWith(`${job.dir}/`)) throw new JobError(400, `'${name}' is outside the job's folder`);
    const now = existsSync(absolute)
      ? createHash("sha256").update(readFileSync(absolute)).digest("hex")
      : undefined;
    if (now !== a.sha256)
      throw new JobError(
        409,
        `artefact ${name} of training job ${id} is not as recorded (changed or missing)`,
      );
    return { ...a, absolute };
  }

  // ------------------------------------------------------------------ withdrawals after training

  /**
   * Records, against each trained job, the consent withdrawals (or expiries) of its version's learners
   * that came after its training started: a `withdrawal-after-training` event and an audit event per
   * withdrawal, once. Idempotent.
   */
  async recordWithdrawals(
    at: Date = this.now(),
    actor = "system",
  ): Promise<{ job: string; withdrawals: string[] }[]> {
    if (!this.options.withdrawals)
      throw new JobError(500, "the registry was built without consent's withdrawals");
    const out: { job: string; withdrawals: string[] }[] = [];
    for (const job of await this.list({ state: "succeeded" })) {
      if (!job.startedAt) continue;
      const affecting = await this.withdrawalsSince(
        { id: job.version, agreement: job.agreement },
        job.startedAt,
      );
      const ids = [...new Set(affecting.map((w) => w.id))].sort();
      const recorded: string[] = [];
      for (const w of ids)
        if (await this.db.transaction((tx) => this.recordWithdrawal(tx, job, w, at.toISOString(), actor)))
          recorded.push(w);
      if (recorded.length > 0) out.push({ job: job.id, withdrawals: recorded });
    }
    return out;
  }

  /**
   * The consent listener: in the transaction of a consent change that takes a learner out of the valid
   * set, each job trained before it on a version holding the learner gets the withdrawal recorded.
   * Register after consent's notifier, so that the withdrawal it opens is named.
   */
  listener(): (
    change: { agreement: string; learner: string; stateBefore: string; state: string; at: string },
    tx: Queryable,
  ) => Promise<void> {
    return async (change, tx) => {
      if (!LEFT.has(change.state) || !VALID_BEFORE.has(change.stateBefore)) return;
      const rows = await tx.all<JobRow>(
        `SELECT ${COLUMNS.split(", ")
          .map((c) => `j.${c}`)
          .join(", ")} FROM training_jobs j JOIN dataset_version_members m ON m.version_id = j.version_id
         WHERE j.agreement_id = ? AND m.learner = ? AND j.state = 'succeeded' AND j.started_at < ?`,
        [change.agreement, change.learner, change.at],
      );
      if (rows.length === 0) return;
      const withdrawal = await tx.one<{ id: string }>(
        "SELECT id FROM consent_withdrawals WHERE agreement_id = ? AND learner = ? AND effective_at = ? ORDER BY recorded_at DESC LIMIT 1",
        [change.agreement, change.learner, change.at],
      );
      if (!withdrawal) return;
      for (const row of rows) await this.recordWithdrawal(tx, jobOf(row), withdrawal.id, change.at, "system");
    };
  }

  private async recordWithdrawal(
    tx: Queryable,
    job: TrainingJob,
    withdrawal: string,
    at: string,
    actor: string,
  ) {
    const inserted = await tx.run(
      "INSERT INTO training_job_withdrawals (job_id, withdrawal_id, recorded_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      [job.id, withdrawal, at],
    );
    if (inserted.changes === 0) return false;
    const details = { withdrawal, trainedAt: job.startedAt, version: job.version };
    await this.event(tx, job.id, "withdrawal-after-training", at, actor, details);
    await this.audit.append(
      {
        actor,
        action: "train.job.withdrawal-after-training",
        subject: job.agreement,
        details: { job: job.id, ...details },
      },
      tx,
    );
    return true;
  }
}

/**
 * What the release asks the policy about besides purpose and recipient: a model, and the figures the
 * gate measured — the advantage of the membership-inference attack (`lp:maxAdvantage`), the smallest
 * cohort every released slice met (`lp:minK`), and ε when trained with DP (`lp:maxEpsilon`) — so that
 * an agreement's constraints on these terms are checked by the decision point itself. A figure the
 * gate did not measure is left out: a constraint on it then fails closed.
 */
export function releaseFacts(verdict: GateVerdict): Record<string, string | number> {
  const d = (verdict.details ?? {}) as {
    thresholds?: { minCohort?: unknown };
    membership?: { advantage?: unknown } | null;
    dp?: { epsilon?: unknown } | null;
  };
  const facts: Record<string, string | number> = { "lp:releaseType": "lp:Model" };
  const number = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const advantage = number(d.membership?.advantage);
  const minK = number(d.thresholds?.minCohort);
  const epsilon = number(d.dp?.epsilon);
  if (advantage !== undefined) facts["lp:maxAdvantage"] = advantage;
  if (minK !== undefined) facts["lp:minK"] = minK;
  if (epsilon !== undefined) facts["lp:maxEpsilon"] = epsilon;
  return facts;
}
