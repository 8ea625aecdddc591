/**
 * `learnpool train <job.yaml> [--wait]`, `learnpool train run|list|show|withdrawals`: command-line
 * wiring of training jobs (`train/jobs`). A submission is decided (`training-admission`) at once: a
 * refusal exits 1 with the reason. An admitted job is queued; `--wait` runs it here (a worker thread
 * under the spec's limits) with its progress on stderr, and prints the job as it ended; without it,
 * `learnpool train run <id>` runs it later. A failed job exits 1.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { AuditLog } from "../audit/index.js";
import { ConsentNotifier } from "../consent/index.js";
import { AgreementRegistry, PolicyEnforcement } from "../contract/index.js";
import { DatasetVersions } from "../pool/versions/index.js";
import { PrivacyLedger } from "../privacy/dp/ledger.js";
import { type Database, openDatabase } from "../store/index.js";
import {
  JOB_STATES,
  JobError,
  JobSpecError,
  type JobState,
  parseJobSpec,
  type TrainingJobDetail,
  TrainingJobs,
} from "../train/jobs/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

interface TrainCliOptions {
  db: string;
  jobsDir?: string;
}

/** The registries a train command needs, over one database. */
function registries(db: Database, o: TrainCliOptions) {
  const audit = new AuditLog(db);
  const agreements = new AgreementRegistry(db, audit);
  const enforcement = new PolicyEnforcement(db, audit, agreements, agreements.participants);
  const notifier = new ConsentNotifier(db, audit, agreements);
  const versions = new DatasetVersions(db, audit, agreements, enforcement, notifier);
  const jobs = new TrainingJobs(db, audit, agreements, enforcement, versions, {
    jobsDir: resolve(o.jobsDir ?? process.env.LEARNPOOL_JOBS_DIR ?? "jobs"),
    withdrawals: notifier,
    ledger: new PrivacyLedger(db, audit),
  });
  return { jobs, versions };
}

/** Runs `fn` over the registry; a refusal (JobError, JobSpecError) exits 1 with its message. */
async function withJobs(
  o: TrainCliOptions,
  fn: (jobs: TrainingJobs, versions: DatasetVersions) => Promise<unknown>,
): Promise<void> {
  const db = await openDatabase(o.db);
  try {
    const { jobs, versions } = registries(db, o);
    const out = await fn(jobs, versions);
    if (out !== undefined) printJson(out);
  } catch (err) {
    if (!(err instanceof JobError || err instanceof JobSpecError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

/** Runs a queued job here, its progress on stderr; a failed job exits 1 with the reason. */
async function runHere(jobs: TrainingJobs, id: string): Promise<TrainingJobDetail> {
  let last = "";
  const done = await jobs.run(id, cliActor(), ({ stage, fraction }) => {
    if (stage === last) return;
    last = stage;
    process.stderr.write(`${id}: ${stage} (${Math.round(fraction * 100)} %)\n`);
  });
  if (done.state === "failed") {
    process.stderr.write(`training job ${id} failed: ${done.reason}\n`);
    process.exitCode = 1;
  } else {
    const released = done.artefacts.filter((a) => a.released).map((a) => a.name);
    process.stderr.write(
      `${id}: ${done.release?.outcome ?? "withheld"}${released.length > 0 ? ` (${released.join(", ")})` : ""}\n`,
    );
  }
  return done;
}

export function trainCommands(): Command[] {
  const train = new Command("train")
    .description("training jobs on dataset versions: submit (admission decided at once), run, list, show")
    .argument("[job]", "the job spec (YAML or JSON); see the README for its keys")
    .option(
      "--consumer <participant>",
      "the consumer the job is for (default: the version's consumer); list: only its jobs",
    )
    .option("--wait", "run the job here once admitted, show its progress, print it as it ended")
    .option("--jobs-dir <dir>", "where each job's folder is made (env LEARNPOOL_JOBS_DIR, default ./jobs)")
    .addOption(dbOption())
    .action(async (file: string | undefined, o: TrainCliOptions & { consumer?: string; wait?: boolean }) => {
      if (!file) {
        train.help({ error: true });
        return;
      }
      await withJobs(o, async (jobs, versions) => {
        const text = readFileSync(file, "utf8");
        const spec = parseJobSpec(text, { source: file });
        const consumer = o.consumer ?? (await versions.get(spec.version))?.consumer;
        if (!consumer) throw new JobError(404, `no dataset version ${spec.version}`);
        const job = await jobs.submit(spec, { consumer, actor: cliActor(), specText: text });
        if (job.state === "refused") {
          process.stderr.write(`training job ${job.id} refused: ${job.reason}\n`);
          process.exitCode = 1;
          return job;
        }
        if (!o.wait) {
          process.stderr.write(`${job.id}: queued; run it with: learnpool train run ${job.id}\n`);
          return job;
        }
        return runHere(jobs, job.id);
      });
    });

  // `--db`, `--jobs-dir` and `--consumer` belong to `train` and serve its subcommands too (commander
  // reads a parent's options after a subcommand's name).
  train
    .command("run")
    .description("run a queued job here (a worker thread under the spec's limits)")
    .argument("<id>", "the job's id")
    .action((id: string, _o: unknown, cmd: Command) =>
      withJobs(cmd.optsWithGlobals<TrainCliOptions>(), (jobs) => runHere(jobs, id)),
    );

  train
    .command("list")
    .description("training jobs, newest first")
    .option("--version <id>", "only on this dataset version")
    .option("--state <state>", `only in this state (${JOB_STATES.join(", ")})`)
    .action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<
        TrainCliOptions & { consumer?: string; version?: string; state?: string }
      >();
      return withJobs(o, (jobs) =>
        jobs.list({
          ...(o.consumer !== undefined && { consumer: o.consumer }),
          ...(o.version !== undefined && { version: o.version }),
          ...(o.state !== undefined && { state: o.state as JobState }),
        }),
      );
    });

  train
    .command("show")
    .description("a job in full: spec, progress, evaluation, artefacts and their verdicts, release, history")
    .argument("<id>", "the job's id")
    .action((id: string, _o: unknown, cmd: Command) =>
      withJobs(cmd.optsWithGlobals<TrainCliOptions>(), (jobs) => jobs.show(id)),
    );

  train
    .command("withdrawals")
    .description("record consent withdrawals after training against the jobs whose version held the learner")
    .action((_o: unknown, cmd: Command) =>
      withJobs(cmd.optsWithGlobals<TrainCliOptions>(), (jobs) =>
        jobs.recordWithdrawals(new Date(), cliActor()),
      ),
    );

  return [train];
}
