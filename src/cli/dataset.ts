/**
 * `learnpool dataset build|verify|list|show|download|sweep|notifications`: command-line wiring of the
 * pool's build (the policy decision, consent selection, views, labels, splits, shards, documents,
 * lineage), of a version's verification, and of the versions registry (`pool/versions`). A build is
 * recorded as the dataset's next version; a denied build or download exits 1 with the decision's
 * reason; verify exits 1 naming the first mismatch.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "commander";
import { AuditLog } from "../audit/index.js";
import { ConsentNotifier, ConsentRegistry } from "../consent/index.js";
import { AgreementRegistry, PolicyEnforcement, readSigningKeys, signDeletion } from "../contract/index.js";
import type { BuildSpec } from "../pool/index.js";
import type { Database } from "../store/index.js";
import { openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";
import { masterKeyOption } from "./privacy.js";

// The pool module brings DuckDB's native binding: it loads when a dataset command runs, not at start.
const pool = () => import("../pool/index.js");
const versionsModule = () => import("../pool/versions/index.js");

/** The registries a dataset command needs, over one database. */
async function registries(db: Database) {
  const { DatasetNotifications, DatasetVersions } = await versionsModule();
  const audit = new AuditLog(db);
  const agreements = new AgreementRegistry(db, audit);
  const consent = new ConsentRegistry(db, audit, agreements);
  const enforcement = new PolicyEnforcement(db, audit, agreements, agreements.participants);
  const notifier = new ConsentNotifier(db, audit, agreements);
  // The operator's deletion evidence is signed here when its key is among LEARNPOOL_SIGNING_KEYS.
  const keys = process.env.LEARNPOOL_SIGNING_KEYS
    ? readSigningKeys(process.env.LEARNPOOL_SIGNING_KEYS)
    : undefined;
  const versions = new DatasetVersions(db, audit, agreements, enforcement, notifier, {
    signDeletion: async (participant, statement) => {
      const key = keys?.get(participant);
      return key ? signDeletion(statement, key) : undefined;
    },
  });
  const notifications = new DatasetNotifications(db, audit, notifier);
  return { audit, agreements, consent, enforcement, notifier, versions, notifications };
}

/** Runs `fn` over the database; a registry's refusal (VersionError) exits 1 with its message. */
async function withVersions<T>(
  location: string,
  fn: (r: Awaited<ReturnType<typeof registries>>) => Promise<T>,
): Promise<void> {
  const { VersionError } = await versionsModule();
  const db = await openDatabase(location);
  try {
    printJson(await fn(await registries(db)));
  } catch (err) {
    if (!(err instanceof VersionError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

interface BuildCliOptions {
  purpose?: string;
  actor?: string;
  db: string;
  masterKeyFile?: string;
  endpoint?: string;
  credential?: string;
  keyFile?: string;
  roster?: string;
  noiseKeyFile?: string;
  progress: boolean;
}

/** Where the build's pseudonyms come from, as `learnpool deidentify` takes them. */
async function serviceOptions(o: BuildCliOptions) {
  const { loadMasterKey } = await import("../privacy/keys.js");
  const { readKeyFile } = await import("../privacy/deidentify-keyed.js");
  const { parseRoster } = await import("../privacy/scrub.js");
  if ((o.endpoint === undefined) !== (o.credential === undefined))
    throw new Error("OPRF mode needs both --endpoint and --credential");
  const [key, secret] = (o.credential ?? "").split(":");
  const masterKey = loadMasterKey(o.masterKeyFile ? { file: o.masterKeyFile } : {});
  return {
    ...(masterKey && { masterKey }),
    ...(o.endpoint && {
      oprf: { endpoint: o.endpoint, credential: { key: key ?? "", secret: secret ?? "" } },
    }),
    ...(o.keyFile && { localKey: readKeyFile(o.keyFile) }),
    ...(o.noiseKeyFile && { noiseKey: readKeyFile(o.noiseKeyFile) }),
    ...(o.roster && { roster: parseRoster(readFileSync(o.roster, "utf8"), o.roster) }),
  };
}

/** A progress bar per stage on a terminal (stderr): selection per provider, then the later stages. */
async function buildProgress() {
  const { default: cliProgress } = await import("cli-progress");
  const bar = new cliProgress.SingleBar(
    { format: " {stage} |{bar}| {value}/{total}", hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let stage = "";
  let started = false;
  return {
    update: (event: { stage: string; done: number; total?: number }) => {
      const total = event.total ?? Math.max(event.done, 1);
      if (!started) {
        bar.start(total, event.done, { stage: event.stage });
        started = true;
      } else if (event.stage !== stage) bar.setTotal(total);
      stage = event.stage;
      bar.update(event.done, { stage: event.stage });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function datasetCommands(): Command[] {
  const dataset = new Command("dataset").description(
    "pooled datasets: build a version, verify, list, show, download one, sweep superseded and ended versions",
  );

  dataset
    .command("build")
    .description("build a dataset version under its agreement, from the providers' stores (audited decision)")
    .argument("<spec>", "the build spec (YAML)")
    .option("--purpose <purpose>", "the build's purpose (default: the one the agreement's permission names)")
    .option("--actor <who>", "who builds, for the audit trail (default cli:<user>)")
    .addOption(dbOption())
    .addOption(masterKeyOption())
    .option("--endpoint <url>", "OPRF mode: the Learnpool server holding the linkage domain's key")
    .option("--credential <KEY:SECRET>", "OPRF mode: a credential of a member store")
    .option("--key-file <file>", "the 32-byte local key (base64) that re-derives ids; OPRF mode needs it")
    .option(
      "--roster <csv>",
      "learners' and staff's names (given_name, family_name), scrubbed from free text",
    )
    .addOption(
      new Option("--noise-key-file <file>", "secret key (base64, 32 bytes) for reproducible DP noise").env(
        "LEARNPOOL_DP_NOISE_KEY_FILE",
      ),
    )
    .option("--no-progress", "no progress bar, even on a terminal")
    .action(async (file: string, o: BuildCliOptions) => {
      const {
        buildAndRecord,
        buildRefusal,
        buildServicesFromDatabase,
        parseBuildSpec,
        shownResult,
        SpecError,
      } = await pool();
      let spec: BuildSpec;
      try {
        spec = parseBuildSpec(readFileSync(file, "utf8"), { source: file, baseDir: dirname(file) });
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const db = await openDatabase(o.db);
      const progress = o.progress && process.stderr.isTTY === true ? await buildProgress() : undefined;
      try {
        const { versions } = await registries(db);
        const services = await buildServicesFromDatabase(db, spec, await serviceOptions(o));
        const { result, recorded } = await buildAndRecord(services, versions, spec, {
          actor: o.actor ?? cliActor(),
          specDigest: sha256(file),
          ...(o.purpose ? { purpose: o.purpose } : {}),
          ...(progress && { onProgress: progress.update }),
        });
        progress?.stop();
        printJson({
          ...shownResult(result),
          version: { id: recorded.id, name: recorded.name, version: recorded.version },
        });
      } catch (err) {
        progress?.stop();
        // A denial or refusal (policy, leak, risk, budget), or a version the registry refuses to record.
        const { VersionError } = await versionsModule();
        const refusal =
          buildRefusal(err) ?? (err instanceof VersionError ? { message: err.message } : undefined);
        if (!refusal) throw err;
        process.stderr.write(`${refusal.message}\n`);
        process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  dataset
    .command("verify")
    .description("recompute a version's file hashes and lineage (Merkle roots over the Parquet rows)")
    .argument("<dir>", "the version's folder (holding lineage.json)")
    .action(async (dir: string) => {
      const v = await (await pool()).verifyVersion(dir);
      printJson(
        v.ok ? { ok: true, records: v.records } : { ok: false, records: v.records, mismatch: v.mismatch },
      );
      if (!v.ok) {
        process.stderr.write(`verify failed: ${v.message}\n`);
        process.exitCode = 1;
      }
    });

  dataset
    .command("list")
    .description("dataset versions, newest first")
    .option("--agreement <id>", "only under this agreement")
    .option("--consumer <participant>", "only for this consumer")
    .option("--state <state>", "current, superseded or deleted")
    .addOption(dbOption())
    .action(async (o: { agreement?: string; consumer?: string; state?: string; db: string }) =>
      withVersions(o.db, async ({ versions }) => ({
        versions: await versions.list({
          ...(o.agreement ? { agreement: o.agreement } : {}),
          ...(o.consumer ? { consumer: o.consumer } : {}),
          ...(o.state ? { state: o.state as "current" } : {}),
        }),
      })),
    );

  dataset
    .command("show")
    .description("a version: its files, lineage root, consent coverage, history and successor")
    .argument("<id>", "the version's id (urn:uuid:…)")
    .addOption(dbOption())
    .action(async (id: string, o: { db: string }) => withVersions(o.db, ({ versions }) => versions.show(id)));

  dataset
    .command("download")
    .description("copy a version to --out, if its agreement permits the consumer to (audited decision)")
    .argument("<id>", "the version's id (urn:uuid:…)")
    .requiredOption("--out <dir>", "where to copy it (a new or empty folder)")
    .option(
      "--as <participant>",
      "the consumer participant receiving it (default: the one the agreement names)",
    )
    .option("--actor <who>", "who asks, for the audit trail (default cli:<user>)")
    .addOption(dbOption())
    .action(async (id: string, o: { out: string; as?: string; actor?: string; db: string }) =>
      withVersions(o.db, async ({ versions }) => {
        const { VersionError } = await versionsModule();
        const out = resolve(o.out);
        if (existsSync(out) && readdirSync(out).length > 0)
          throw new VersionError(400, `--out ${out} is not empty: choose a new or empty folder`);
        const consumer = o.as ?? (await versions.get(id))?.consumer;
        if (!consumer) throw new VersionError(404, `no dataset version ${id}`);
        const grant = await versions.download(id, { actor: o.actor ?? cliActor(), consumer });
        for (const f of grant.files) {
          const to = join(out, f.path);
          mkdirSync(dirname(to), { recursive: true });
          copyFileSync(f.absolute, to);
          if (sha256(to) !== f.sha256)
            throw new VersionError(
              409,
              `file ${f.path} of dataset version ${id} is not as recorded (changed on disk)`,
            );
        }
        return { version: grant.version.id, decision: grant.decision, out, files: grant.files.length };
      }),
    );

  dataset
    .command("sweep")
    .description(
      "mark superseded the versions a learner withdrew from since their build (notifying their holders), and delete the versions whose agreement ended, with evidence",
    )
    .option("--actor <who>", "who sweeps, for the audit trail (default cli:<user>)")
    .addOption(dbOption())
    .action(async (o: { actor?: string; db: string }) =>
      withVersions(o.db, ({ versions }) => versions.sweep(new Date(), o.actor ?? cliActor())),
    );

  dataset
    .command("notifications")
    .description(
      "notifications to versions' holders (superseded versions); --deliver sends the due ones once",
    )
    .option("--state <state>", "pending or acknowledged")
    .option("--deliver", "POST the due notifications to the holders' consent webhooks, once")
    .addOption(dbOption())
    .action(async (o: { state?: string; deliver?: boolean; db: string }) =>
      withVersions(o.db, async ({ notifications }) => ({
        ...(o.deliver ? { delivery: await notifications.deliverDue() } : {}),
        notifications: await notifications.list(o.state ? { state: o.state as "pending" } : {}),
      })),
    );

  return [dataset];
}
