/**
 * HTTP wiring of training jobs (compute-to-data), under `/train/`. Every route authenticates (HTTP
 * Basic, an LRS credential: its store is the participant). A consumer submits a job on a version its
 * agreement names it for and sees its own jobs; the operator sees every job; a provider sees the jobs
 * under the agreements it is party to, without their artefacts. Any other job is a 404.
 *
 * What a consumer sees of a job is what the release gate let out: its state, progress, the release
 * outcome, each artefact's verdict (name, SHA-256, released or withheld with the reason) — not the raw
 * evaluation (which may hold slices below the minimum cohort) nor the job's folder; those are the
 * operator's. `GET …/artifacts/{name}` serves a released artefact to its consumer only.
 * The rules are the registry's (`train/jobs`); this file translates HTTP to its calls.
 */
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditLog } from "../audit/index.js";
import type { ConsentNotifier } from "../consent/index.js";
import {
  AgreementError,
  type AgreementRegistry,
  type ContractEnvironment,
  type Participant,
} from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import type { DatasetVersions } from "../pool/versions/index.js";
import type { PrivacyLedger } from "../privacy/dp/ledger.js";
import {
  JOB_STATES,
  JobError,
  JobSpecError,
  type JobState,
  parseJobSpec,
  type TrainingJob,
  type TrainingJobDetail,
  TrainingJobs,
  type TrainingJobsOptions,
} from "../train/jobs/index.js";
import { guarded, HttpError, participantOf, statusRefusal } from "./auth.js";

export const TRAIN_BASE = "/train";

export interface TrainServices {
  jobs: TrainingJobs;
  agreements: AgreementRegistry;
  audit: AuditLog;
  /** When the server is ready: fail the jobs a stopped process left running, start those left queued. */
  resume?: boolean;
}

/**
 * The jobs registry over the contract environment, the dataset versions and consent's notifier (the
 * withdrawals recorded against trained jobs). Register `jobs.listener()` with the consent registry
 * after the notifier's listener to record withdrawals after training in the withdrawal's transaction.
 */
export function trainServices(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements" | "enforcement">,
  versions: DatasetVersions,
  consent: { notifier: ConsentNotifier },
  options: Partial<TrainingJobsOptions> & { ledger?: PrivacyLedger } = {},
): TrainServices {
  const jobs = new TrainingJobs(lrs.db, lrs.audit, contract.agreements, contract.enforcement, versions, {
    jobsDir: resolve(options.jobsDir ?? "jobs"),
    withdrawals: consent.notifier,
    ...options,
  });
  return { jobs, agreements: contract.agreements, audit: lrs.audit };
}

/**
 * From the environment: LEARNPOOL_JOBS_DIR, where each job's folder is made (default ./jobs). Jobs a
 * stopped server left running are failed, and queued ones started, when the server is ready.
 */
export function trainServicesFromEnvironment(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements" | "enforcement">,
  versions: DatasetVersions,
  consent: { notifier: ConsentNotifier },
  options: { ledger?: PrivacyLedger } = {},
  env: NodeJS.ProcessEnv = process.env,
): TrainServices {
  return {
    ...trainServices(lrs, contract, versions, consent, {
      ...(env.LEARNPOOL_JOBS_DIR && { jobsDir: env.LEARNPOOL_JOBS_DIR }),
      ...options,
    }),
    resume: true,
  };
}

/** What a job's consumer (or a provider) sees: no raw evaluation, no folder. */
function shownToParty(detail: TrainingJobDetail, role: string) {
  const { result: _result, dir: _dir, ...shown } = detail;
  if (role === "consumer") return shown;
  const { artefacts: _artefacts, ...metadata } = shown;
  return metadata;
}

export function registerTrainRoutes(app: FastifyInstance, lrs: Lrs, services: TrainServices): void {
  const { jobs, agreements, audit } = services;

  if (services.resume)
    app.addHook("onReady", async () => {
      await jobs.failInterrupted();
      await jobs.startQueued();
    });

  /** Who calls: a credential whose store is a registered participant; `change` needs scope `all`. */
  function caller(request: FastifyRequest, change = false): Promise<Participant> {
    return participantOf(
      lrs,
      agreements.participants,
      request,
      change ? "submitting a job counts a use of the agreement" : undefined,
    );
  }

  /** The job if `who` may see it, else a 404 that does not tell whether it exists. */
  async function visible(id: string, who: Participant): Promise<TrainingJob> {
    const job = await jobs.get(id);
    if (job && who.role === "operator") return job;
    if (job && who.role === "consumer" && job.consumer === who.id) return job;
    if (job && who.role === "provider") {
      const mine = (await agreements.list({ participant: who.id })).map((a) => a.id);
      if (mine.includes(job.agreement)) return job;
    }
    throw new HttpError(404, `no training job ${id}`);
  }

  const handle = guarded((err) => statusRefusal(err, HttpError, JobError, JobSpecError, AgreementError));
  const route = { schema: { hide: true } };

  app.post(
    `${TRAIN_BASE}/jobs`,
    route,
    handle(async (request, reply) => {
      const who = await caller(request, true);
      if (who.role !== "consumer") throw new HttpError(403, "training jobs are submitted by consumers");
      const text = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
      if (text.trim() === "") throw new HttpError(400, "the body is the job spec (YAML or JSON)");
      const spec = parseJobSpec(text, { source: "body" });
      const job = await jobs.submit(spec, { consumer: who.id, actor: who.id, specText: text });
      if (job.state === "refused")
        return reply.code(403).send({ error: { status: 403, message: job.reason }, job });
      jobs.start(job.id, who.id);
      return reply
        .code(202)
        .header("location", `${TRAIN_BASE}/jobs/${encodeURIComponent(job.id)}`)
        .send({ job });
    }),
  );

  app.get(
    `${TRAIN_BASE}/jobs`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { state, version } = request.query as { state?: string; version?: string };
      if (state !== undefined && !JOB_STATES.includes(state as JobState))
        throw new HttpError(400, `state is ${JOB_STATES.join(", ")}`);
      const filter = {
        ...(state !== undefined && { state: state as JobState }),
        ...(version !== undefined && { version }),
      };
      if (who.role === "operator") return { jobs: await jobs.list(filter) };
      if (who.role === "consumer") return { jobs: await jobs.list({ ...filter, consumer: who.id }) };
      const mine = (await agreements.list({ participant: who.id })).map((a) => a.id);
      return { jobs: await jobs.list({ ...filter, agreements: mine }) };
    }),
  );

  app.get(
    `${TRAIN_BASE}/jobs/:id`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { id } = request.params as { id: string };
      await visible(id, who);
      const detail = await jobs.show(id);
      return who.role === "operator" ? detail : shownToParty(detail, who.role);
    }),
  );

  app.get(
    `${TRAIN_BASE}/jobs/:id/artifacts/:name`,
    route,
    handle(async (request, reply) => {
      const who = await caller(request);
      const { id, name } = request.params as { id: string; name: string };
      const job = await visible(id, who);
      // Only the consumer takes artefacts out, and only those released.
      const artefact = await jobs.artefact(job.id, name, { consumer: who.id });
      await audit.append({
        actor: who.id,
        action: "train.job.artefact-served",
        subject: job.agreement,
        details: { job: job.id, name: artefact.name, sha256: artefact.sha256 },
      });
      return reply
        .header("content-type", artefact.mediaType)
        .header("content-length", String(artefact.bytes))
        .header("x-content-sha256", artefact.sha256)
        .header("repr-digest", `sha-256=:${Buffer.from(artefact.sha256, "hex").toString("base64")}:`)
        .send(createReadStream(artefact.absolute));
    }),
  );
}
