/**
 * `runDemo`: the demonstration data space made through the real modules, step by step, in one folder:
 * 1. participants (operator, six providers, the lab): a store, a credential, an Ed25519 key each;
 *    the agreement's linkage domain, whose key only the OPRF service uses;
 * 2. each provider's native files converted by `interop` and ingested into its own store;
 * 3. the providers' catalog offers, the lab's search by purpose, the agreement proposed from the offers
 *    and signed by every party;
 * 4. notices, consent requests and answers through signed portal links (guardians for young minors),
 *    refusals, and withdrawals later;
 * 5. the dataset build (OPRF pseudonyms, de-identification under the agreement's profile, linkage,
 *    labels, splits, risk check, documents, lineage), recorded and verified;
 * 6. a training job through admission, the worker and the release gate; the cold-start comparison.
 * The HTTP server is started only for the OPRF service's endpoint (providers blind, it evaluates).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import {
  ConsentNotifier,
  ConsentRegistry,
  DEFAULT_AUDIENCE,
  NoticeService,
  type PortalLinkClaims,
  signPortalLink,
} from "../../consent/index.js";
import {
  contractEnvironment,
  generateParticipantKey,
  type ParticipantKeyPair,
  signAgreement,
  WithdrawalDuties,
} from "../../contract/index.js";
import { formatNamed, ingest, localTarget } from "../../interop/index.js";
import { Lrs } from "../../lrs/index.js";
import {
  DomainKeys,
  HttpOprfTransport,
  identifierText,
  newMasterKeyText,
  normalizeIdentifier,
  OprfPseudonymizer,
  OprfService,
  parseMasterKey,
  parseRoster,
  pseudonymText,
  type RosterName,
} from "../../privacy/index.js";
import { type Database, openDatabase, redact } from "../../store/index.js";
import type { ColdStartRow, ColdStartSkip } from "../../train/index.js";
import {
  DEFAULT_SEED,
  type GeneratedDataSpace,
  generateDataSpace,
  writeDataSpace,
} from "../generate/index.js";
import {
  agreementDraft,
  buildSpecText,
  CONSUMER,
  type ConsentPlanEntry,
  consentPlan,
  DATA_CATEGORY,
  DEMO_LEARNERS,
  DEMO_PURPOSE,
  type DemoParticipant,
  demoParticipants,
  HIERARCHIES,
  jobSpecText,
  LINKAGE_DOMAIN,
  OPERATOR,
  profileYaml,
  providerDescription,
  providerOffer,
} from "./plan.js";
import { clearFolder, type DemoMarker, judgeFolder, SECRETS, writeMarker, writePrivate } from "./space.js";
import type { DemoSummary, ProviderFigures } from "./summary.js";

/** How the demonstration tells its progress (the CLI draws bars; tests stay silent). */
export interface DemoReporter {
  /** A step begins. */
  step(title: string): void;
  /** Progress within a step (build stages, consent answers, training). */
  progress?(event: { stage: string; done: number; total?: number }): void;
  /** Something worth a line (a folder moved aside, a reuse). */
  note?(text: string): void;
  /** Ingestion draws its own bars on a terminal when true. */
  ingestBars?: boolean;
}

export interface DemoOptions {
  /** The demonstration's folder (absolute or relative to the working directory). */
  dir: string;
  /** The database (default `<dir>/learnpool.db`); a postgres:// URL must name an empty database. */
  db?: string;
  learners?: number;
  seed?: number;
  reporter?: DemoReporter;
  /** How training workers start (a TypeScript loader when running from the sources, in tests). */
  worker?: { loader?: string };
}

/** What a participant signs in with; kept in `demo-secrets.json` (mode 0600), never in the summary. */
export interface DemoSecrets {
  credentials: Record<string, { key: string; secret: string; role: string }>;
  /** Example learners for the portal: pseudonyms only, and what their provider states of them. */
  portal: {
    learner?: { provider: string; pseudonym: string; age: PortalLinkClaims["age"] };
    minor?: {
      provider: string;
      pseudonym: string;
      age: PortalLinkClaims["age"];
      guardian: { pseudonym: string; relationship: "parent" | "legal-guardian" };
    };
  };
  agreement: string;
}

export interface DemoResult {
  dir: string;
  db: string;
  reused: boolean;
  summary: DemoSummary;
  secrets: DemoSecrets;
  /** Where the participants' private keys and the master key are (for `serve`). */
  keysDir: string;
  secretsFile: string;
  space: string;
  masterKeyFile: string;
  datasetsDir: string;
  jobsDir: string;
}

const ACTOR = "demo";
const silent: DemoReporter = { step: () => undefined };

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoError";
  }
}

export function demoPaths(dir: string) {
  return {
    space: join(dir, "space"),
    keysDir: join(dir, "keys"),
    masterKeyFile: join(dir, "master.key"),
    datasetsDir: join(dir, "datasets"),
    jobsDir: join(dir, "jobs"),
    secretsFile: join(dir, SECRETS),
  };
}

/** Makes the demonstration in `options.dir`, or reuses a finished one made with the same options. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const learners = options.learners ?? DEMO_LEARNERS;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(learners) || learners < 20 || learners > 100_000)
    throw new DemoError(`--learners must be an integer from 20 to 100000, not ${options.learners}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new DemoError(`--seed must be a non-negative integer, not ${options.seed}`);
  const dir = options.dir;
  const db = options.db ?? join(dir, "learnpool.db");
  const reporter = options.reporter ?? silent;
  const paths = demoPaths(dir);
  // The marker names the database without its password.
  const verdict = judgeFolder(dir, { learners, seed, db: db.includes("://") ? redact(db) : db });
  if (verdict.action === "reuse") {
    reporter.note?.(
      `Reusing the demonstration in ${dir} (made ${verdict.marker.finishedAt}); remove the folder to make it afresh.`,
    );
    return {
      dir,
      db,
      reused: true,
      summary: verdict.marker.summary,
      secrets: JSON.parse(readFileSync(paths.secretsFile, "utf8")) as DemoSecrets,
      ...paths,
    };
  }
  if (verdict.action !== "create") reporter.note?.(`Starting afresh in ${dir}: ${verdict.reason}.`);
  const aside = clearFolder(dir, verdict, new Date());
  if (aside) reporter.note?.(`The folder's previous content is kept in ${aside}.`);
  const marker: DemoMarker = {
    format: "learnpool-demo/1",
    state: "building",
    learners,
    seed,
    db: db.includes("://") ? redact(db) : db,
    startedAt: new Date().toISOString(),
  };
  writeMarker(dir, marker);

  const database = await openDatabase(db);
  try {
    const stores = await database.one<{ n: number | string }>("SELECT COUNT(*) AS n FROM stores");
    if (Number(stores?.n ?? 0) > 0)
      throw new DemoError(
        `the database ${db.includes("://") ? "given by --db" : db} already holds a data space: the demonstration needs an empty one (leave --db out to use ${join(dir, "learnpool.db")})`,
      );
    const made = await makeDemo(database, {
      dir,
      learners,
      seed,
      reporter,
      paths,
      ...(options.worker && { worker: options.worker }),
    });
    writePrivate(paths.secretsFile, `${JSON.stringify(made.secrets, null, 2)}\n`);
    writeMarker(dir, {
      ...marker,
      state: "complete",
      finishedAt: new Date().toISOString(),
      summary: made.summary,
    });
    return { dir, db, reused: false, summary: made.summary, secrets: made.secrets, ...paths };
  } finally {
    await database.close();
  }
}

interface MakeInput {
  dir: string;
  learners: number;
  seed: number;
  reporter: DemoReporter;
  paths: ReturnType<typeof demoPaths>;
  worker?: { loader?: string };
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

async function makeDemo(
  db: Database,
  input: MakeInput,
): Promise<{ summary: DemoSummary; secrets: DemoSecrets }> {
  const { reporter, paths } = input;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    timings[name] = seconds(clock);
    clock = performance.now();
  };

  reporter.step(`Generating ${input.learners} learners' data at six providers (seed ${input.seed})`);
  const space = generateDataSpace({ learners: input.learners, seed: input.seed });
  writeDataSpace(paths.space, space.files);
  lap("generate");
  const buildStarted = performance.now();

  // ---------------------------------------------------------------- 1. participants and keys
  reporter.step(
    "Participants: the operator, six providers and the research lab, each with a store, a credential and a signing key",
  );
  mkdirSync(paths.keysDir, { recursive: true });
  writePrivate(paths.masterKeyFile, newMasterKeyText());
  const master = parseMasterKey(readFileSync(paths.masterKeyFile, "utf8"), paths.masterKeyFile);
  const lrs = new Lrs(db, { authorityHomePage: "http://localhost:8080" });
  const participants = demoParticipants(space.providers);
  const keys = new Map<string, ParticipantKeyPair>();
  for (const p of participants) keys.set(p.id, await generateParticipantKey());
  const signingKeys = new Map<string, JWK>([...keys].map(([id, k]) => [id, k.privateJwk]));
  const contract = contractEnvironment(lrs, { dspBaseUrl: "http://localhost:8080/dsp", signingKeys });
  const credentials: DemoSecrets["credentials"] = {};
  for (const p of participants) {
    await lrs.tenancy.createStore(p.id, p.title, ACTOR);
    await contract.participants.register({ id: p.id, role: p.role, title: p.title }, ACTOR);
    const key = keys.get(p.id) as ParticipantKeyPair;
    await contract.participants.addKey(p.id, key.publicJwk, ACTOR);
    writePrivate(join(paths.keysDir, `${p.id}.jwk`), `${JSON.stringify(key.privateJwk)}\n`);
    const made = await lrs.tenancy.addCredential({
      storeId: p.id,
      scopes: ["all"],
      label: "demo sign-in",
      actor: ACTOR,
    });
    credentials[p.id] = { key: made.key, secret: made.secret, role: p.role };
  }
  const providers: string[] = space.providers.map((p) => p.provider);
  const domains = new DomainKeys(db, lrs.audit, { master });
  // The pool (the operator's store) is a member too: it pseudonymizes what it builds through the service.
  const domain = await domains.create(LINKAGE_DOMAIN, { members: [...providers, OPERATOR], actor: ACTOR });
  lap("participants");

  // The OPRF service, over HTTP as providers reach it; only this process's loopback listens.
  const { buildServer } = await import("../../server/index.js");
  const app = await buildServer({
    lrs,
    privacy: new OprfService(domains, lrs.audit),
    contract,
    logger: false,
  });
  try {
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

    // ---------------------------------------------------------------- 2. conversion and ingestion
    reporter.step("Converting each provider's native files to xAPI and storing them in its own store");
    const figures: ProviderFigures[] = [];
    for (const p of space.providers) {
      const config = p.config
        ? (JSON.parse(readFileSync(join(paths.space, p.config), "utf8")) as unknown)
        : undefined;
      reporter.note?.(`  ${p.name} (${p.format})`);
      const counts = await ingest({
        format: formatNamed(p.format),
        input: join(paths.space, p.input),
        ...(config !== undefined && { config }),
        target: await localTarget(lrs, p.provider),
        progress: reporter.ingestBars === true,
      });
      figures.push({
        provider: p.provider,
        name: p.name,
        format: p.format,
        records: p.records,
        statements: counts.stored,
        rejected: counts.rejected,
        learners: p.roster.length,
        kept: 0,
      });
    }
    lap("ingest");

    // ---------------------------------------------------------------- 3. offers and the agreement
    reporter.step(
      "Offers in the catalog, the lab's search by purpose, the agreement proposed and signed by every party",
    );
    for (const p of space.providers)
      await contract.catalog.publish(
        { storeId: p.provider, description: providerDescription(p), offer: providerOffer(p.provider) },
        { actor: p.provider, storeId: p.provider },
      );
    const found = await contract.catalog.search(
      { purpose: DEMO_PURPOSE, limit: 100 },
      { actor: CONSUMER, storeId: CONSUMER },
    );
    const offered = found.items.filter((hit) => providers.includes(hit.provider));
    if (offered.length !== providers.length)
      throw new DemoError(
        `the lab's search for ${DEMO_PURPOSE} found ${offered.length} of the ${providers.length} providers' offers`,
      );
    const now = new Date();
    const proposed = await contract.agreements.propose(
      agreementDraft({
        providers,
        offers: offered.map((hit) => hit.offerId),
        notBefore: new Date(now.getTime() - 60_000).toISOString(),
        notAfter: new Date(now.getTime() + 2 * 365 * 86_400_000).toISOString(),
      }),
    );
    for (const party of proposed.parties) {
      const key = keys.get(party.participant) as ParticipantKeyPair;
      await contract.agreements.sign(
        proposed.id,
        party.participant,
        await signAgreement(proposed.canonical, key.privateJwk, key.kid),
      );
    }
    const status = await contract.agreements.status(proposed.id);
    if (!status.valid)
      throw new DemoError(`the agreement is not in force after every signature: ${status.reason}`);
    lap("agreement");

    // ---------------------------------------------------------------- 4. notices and consent
    reporter.step(
      "Notices and consent: learners give or refuse, guardians consent with young minors, a few withdraw later",
    );
    const consent = new ConsentRegistry(db, lrs.audit, contract.agreements, { masterKey: master });
    const notifier = new ConsentNotifier(db, lrs.audit, contract.agreements, {
      masterKey: master,
      deletionDuties: new WithdrawalDuties(lrs.audit, contract.agreements),
    });
    consent.onChange(notifier.listener());
    const notices = new NoticeService(db, lrs.audit, contract.agreements);
    const plan = consentPlan(space, input.seed);
    const pseudonyms = await pseudonymsOf(plan, space, endpoint, credentials);
    const consentFigures = await answerConsent({
      plan,
      pseudonyms,
      registry: consent,
      notices,
      agreement: proposed.id,
      keys,
      reporter,
    });
    const withdrawalsRecorded = Number(
      (await db.one<{ n: number | string }>("SELECT COUNT(*) AS n FROM consent_withdrawals"))?.n ?? 0,
    );
    lap("consent");

    // ---------------------------------------------------------------- 5. the dataset build
    reporter.step(
      "Building the dataset: consent, OPRF pseudonyms, de-identification, linkage, labels, splits, risk check, documents",
    );
    const pool = await import("../../pool/index.js");
    mkdirSync(paths.datasetsDir, { recursive: true });
    writeFileSync(join(paths.datasetsDir, "profile.yaml"), profileYaml(domain.iri, space.providers));
    for (const [attribute, text] of Object.entries(HIERARCHIES))
      writeFileSync(join(paths.datasetsDir, `${attribute}.csv`), text);
    const specFile = join(paths.datasetsDir, "spec.yaml");
    writeFileSync(specFile, buildSpecText(proposed.id, providers, "dropout-early-detection"));
    const spec = pool.parseBuildSpec(readFileSync(specFile, "utf8"), {
      source: specFile,
      baseDir: paths.datasetsDir,
    });
    const localKey = randomBytes(32);
    writePrivate(join(paths.keysDir, "build-local.key"), `${localKey.toString("base64")}\n`);
    const operator = credentials[OPERATOR] as { key: string; secret: string };
    const services = await pool.buildServicesFromDatabase(db, spec, {
      oprf: { endpoint, credential: { key: operator.key, secret: operator.secret } },
      localKey,
      roster: rosterNames(space, paths.space),
    });
    const versions = new pool.DatasetVersions(
      db,
      lrs.audit,
      contract.agreements,
      contract.enforcement,
      notifier,
    );
    const { result, recorded } = await pool.buildAndRecord(services, versions, spec, {
      actor: OPERATOR,
      purpose: DEMO_PURPOSE,
      output: (version) => join(paths.datasetsDir, spec.name, version),
      onProgress: (event) => reporter.progress?.(event),
    });
    const verification = await pool.verifyVersion(result.dir);
    for (const f of figures) f.kept = result.statements.find((s) => s.provider === f.provider)?.kept ?? 0;
    lap("build");

    // ---------------------------------------------------------------- 6. training and cold start
    reporter.step(
      "Training the lab's model in the environment: admission, worker, release gate; then the cold-start comparison",
    );
    const train = await import("../../train/index.js");
    const { PrivacyLedger } = await import("../../privacy/dp/ledger.js");
    const jobs = new train.TrainingJobs(db, lrs.audit, contract.agreements, contract.enforcement, versions, {
      jobsDir: paths.jobsDir,
      withdrawals: notifier,
      ledger: new PrivacyLedger(db, lrs.audit),
      ...(input.worker && { worker: input.worker }),
    });
    const jobText = jobSpecText(recorded.id);
    const job = await jobs.submit(train.parseJobSpec(jobText), {
      consumer: CONSUMER,
      actor: CONSUMER,
      specText: jobText,
    });
    if (job.state === "refused") throw new DemoError(`the training job was refused: ${job.reason}`);
    const done = await jobs.run(job.id, CONSUMER, ({ stage, fraction }) =>
      reporter.progress?.({ stage: `training: ${stage}`, done: Math.round(fraction * 100), total: 100 }),
    );
    const coldStart = coldStartOf(done.result?.coldStart ?? null, done.result?.coldStartReason ?? null);
    lap("train");
    timings.total = seconds(buildStarted);

    const linkage = await linkageOf(result.dir, plan, pseudonyms, space, consentFigures.givenBy);
    const riskReport = result.risk;
    const summary: DemoSummary = {
      learners: input.learners,
      seed: input.seed,
      participants: participants.map(({ id, role, title }: DemoParticipant) => ({ id, role, title })),
      providers: figures,
      agreement: {
        id: proposed.id,
        state: status.state,
        valid: status.valid,
        signatures: proposed.parties.length,
        offers: offered.length,
      },
      consent: {
        asked: consentFigures.asked,
        given: consentFigures.given,
        refused: consentFigures.refused,
        withdrawn: consentFigures.withdrawn,
        jointWithGuardian: consentFigures.jointWithGuardian,
        withdrawalsRecorded,
      },
      linkage,
      dataset: {
        id: recorded.id,
        name: recorded.name,
        version: recorded.version,
        dir: result.dir,
        merkleRoot: result.root,
        records: result.records,
        learners: result.learners,
        labelled: result.labels?.labelled ?? 0,
        positive: result.labels?.positive ?? 0,
        splits: result.splits,
        verified: verification.ok,
      },
      risk: {
        quasiIdentifiers: riskReport?.quasiIdentifiers ?? [],
        before: figuresOf(riskReport?.before),
        after: figuresOf(riskReport?.after),
        suppressed: riskReport?.suppressed ?? 0,
        passed: riskReport?.passed ?? true,
      },
      training: {
        job: done.id,
        state: done.state,
        auc: done.result?.metrics?.auc ?? null,
        testLearners: done.result?.metrics?.n ?? null,
        release: done.release?.outcome ?? "withheld",
        released: done.artefacts.filter((a) => a.released).map((a) => a.name),
      },
      coldStart,
      timings,
    };
    return {
      summary,
      secrets: {
        credentials,
        portal: portalExamples(plan, pseudonyms, consentFigures.givenBy),
        agreement: proposed.id,
      },
    };
  } finally {
    await app.close();
    await lrs.close();
  }
}

const figuresOf = (f: { k: number; averageRisk: number; learners: number } | undefined) => ({
  k: f?.k ?? 0,
  averageRisk: f?.averageRisk ?? 0,
  learners: f?.learners ?? 0,
});

/** Every provider's roster names, scrubbed from free text by the build. */
function rosterNames(space: GeneratedDataSpace, folder: string): RosterName[] {
  return space.providers.flatMap((p) => {
    const path = join(folder, p.provider, "roster.csv");
    return parseRoster(readFileSync(path, "utf8"), path);
  });
}

/**
 * Each asked learner's (and guardian's) pseudonym in the linkage domain, derived by the provider that
 * asks, through the OPRF service with its own credential: the service never sees an identifier.
 */
async function pseudonymsOf(
  plan: readonly ConsentPlanEntry[],
  space: GeneratedDataSpace,
  endpoint: string,
  credentials: DemoSecrets["credentials"],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of space.providers) {
    const mine = plan.filter((e) => e.provider === p.provider);
    if (mine.length === 0) continue;
    const credential = credentials[p.provider] as { key: string; secret: string };
    const oprf = await OprfPseudonymizer.connect(new HttpOprfTransport(endpoint, credential), LINKAGE_DOMAIN);
    const ids = mine.flatMap((e) => {
      const learner = normalizeIdentifier(e.identifier.kind, e.identifier.value);
      return e.guardian ? [learner, normalizeIdentifier("email", e.guardian.email)] : [learner];
    });
    const secrets = await oprf.derive(ids, "pseudonym");
    for (const id of ids)
      out.set(identifierText(id), pseudonymText(secrets.get(identifierText(id)) as Buffer));
  }
  return out;
}

const pseudonymOf = (pseudonyms: Map<string, string>, kind: string, value: string): string => {
  const found = pseudonyms.get(identifierText(normalizeIdentifier(kind, value)));
  if (!found) throw new DemoError(`no pseudonym was derived for a ${kind} identifier`);
  return found;
};

interface ConsentFigures {
  asked: number;
  given: number;
  refused: number;
  withdrawn: number;
  jointWithGuardian: number;
  /** Identities (`kind:value`) whose consent is in force (for linkage figures and the portal example). */
  givenBy: Set<string>;
}

async function answerConsent(input: {
  plan: readonly ConsentPlanEntry[];
  pseudonyms: Map<string, string>;
  registry: ConsentRegistry;
  notices: NoticeService;
  agreement: string;
  keys: Map<string, ParticipantKeyPair>;
  reporter: DemoReporter;
}): Promise<ConsentFigures> {
  const { registry, agreement } = input;
  // One notice per audience, generated from the agreement and stored; records name its id and digest.
  const notice = async (audience: "learner" | "guardian") => {
    const made = await input.notices.save(await input.notices.make(agreement, "fr", audience), ACTOR);
    return { id: made.id, digest: made.digest };
  };
  const notices = { learner: await notice("learner"), guardian: await notice("guardian") };
  const link = async (entry: ConsentPlanEntry, role: "learner" | "guardian") => {
    const key = input.keys.get(entry.provider) as ParticipantKeyPair;
    const iat = Math.floor(Date.now() / 1000);
    const claims: PortalLinkClaims = {
      iss: entry.provider,
      sub: pseudonymOf(input.pseudonyms, entry.identifier.kind, entry.identifier.value),
      agr: agreement,
      aud: DEFAULT_AUDIENCE,
      iat,
      exp: iat + 600,
      nonce: randomBytes(16).toString("base64url"),
      role,
      age: entry.age,
      ...(role === "guardian" &&
        entry.guardian && {
          guardian: {
            pseudonym: pseudonymOf(input.pseudonyms, "email", entry.guardian.email),
            relationship: entry.guardian.relationship,
          },
        }),
    };
    return signPortalLink(claims, key.privateJwk, key.kid);
  };
  const figures: ConsentFigures = {
    asked: 0,
    given: 0,
    refused: 0,
    withdrawn: 0,
    jointWithGuardian: 0,
    givenBy: new Set(),
  };
  const total = input.plan.length;
  for (const [i, entry] of input.plan.entries()) {
    const learner = pseudonymOf(input.pseudonyms, entry.identifier.kind, entry.identifier.value);
    await registry.request(
      {
        agreement,
        learner,
        notice: entry.guardian ? notices.guardian : notices.learner,
        language: "fr",
        jurisdiction: "FR",
        purposes: [DEMO_PURPOSE],
        recipients: [CONSUMER],
        dataCategories: [DATA_CATEGORY],
        retention: { duration: "P2Y" },
        storageLocations: ["FR"],
        age: entry.age,
      },
      entry.provider,
    );
    figures.asked++;
    if (entry.choice === "refuse") {
      await registry.refuse(await link(entry, "learner"));
      figures.refused++;
    } else {
      const [own] = await registry.give(await link(entry, "learner"));
      // Under the age of digital consent the learner's answer waits for the guardian's (joint consent).
      if (own?.state === "requested") {
        if (!entry.guardian)
          throw new DemoError("a minor under the age of digital consent has no guardian on record");
        await registry.give(await link(entry, "guardian"));
        figures.jointWithGuardian++;
      }
      figures.given++;
      figures.givenBy.add(entry.identity);
    }
    if (i % 50 === 0 || i === total - 1)
      input.reporter.progress?.({ stage: "consent answers", done: i + 1, total });
  }
  // Later, mid-course, a few change their minds: one click withdraws every consent under the agreement.
  for (const entry of input.plan.filter((e) => e.choice === "withdraw")) {
    const learner = pseudonymOf(input.pseudonyms, entry.identifier.kind, entry.identifier.value);
    await registry.withdraw({ learner, agreement }, { link: await link(entry, "learner") });
    figures.given--;
    figures.withdrawn++;
    figures.givenBy.delete(entry.identity);
  }
  return figures;
}

/** The portal's example learners: an adult and a young minor whose consent is in force. */
function portalExamples(
  plan: readonly ConsentPlanEntry[],
  pseudonyms: Map<string, string>,
  given: ReadonlySet<string>,
): DemoSecrets["portal"] {
  const adult = plan.find((e) => given.has(e.identity) && "adult" in e.age);
  const minor = plan.find((e) => given.has(e.identity) && e.guardian && "birthYearMonth" in e.age);
  return {
    ...(adult && {
      learner: {
        provider: adult.provider,
        pseudonym: pseudonymOf(pseudonyms, adult.identifier.kind, adult.identifier.value),
        age: adult.age,
      },
    }),
    ...(minor?.guardian && {
      minor: {
        provider: minor.provider,
        pseudonym: pseudonymOf(pseudonyms, minor.identifier.kind, minor.identifier.value),
        age: minor.age,
        guardian: {
          pseudonym: pseudonymOf(pseudonyms, "email", minor.guardian.email),
          relationship: minor.guardian.relationship,
        },
      },
    }),
  };
}

/**
 * Learners of the version present at two providers or more (read back from its `statements` view),
 * against the ground truth: consenting identities that two providers or more name alike. Each linked
 * learner's pseudonym is traced back to its identity to check that its providers are the truth's.
 */
async function linkageOf(
  dir: string,
  plan: readonly ConsentPlanEntry[],
  pseudonyms: Map<string, string>,
  space: GeneratedDataSpace,
  given: ReadonlySet<string>,
): Promise<DemoSummary["linkage"]> {
  const { versionViewFiles } = await import("../../train/index.js");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const files = versionViewFiles(dir, "statements").map((f) => `'${f.path.replaceAll("'", "''")}'`);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  let rows: { learner: string; providers: string }[];
  try {
    const reader = await connection.runAndReadAll(
      `SELECT learner, string_agg(DISTINCT provider, '+' ORDER BY provider) AS providers FROM read_parquet([${files.join(", ")}]) GROUP BY learner`,
    );
    rows = reader.getRowObjectsJS() as { learner: string; providers: string }[];
  } finally {
    connection.closeSync();
  }
  // The truth: the providers whose roster names each consenting identity.
  const truth = new Map<string, string[]>();
  for (const p of space.providers)
    for (const r of p.roster) {
      const identity = `${p.identifier.kind}:${normalizeIdentifier(p.identifier.kind, r.identifier).value}`;
      if (given.has(identity)) truth.set(identity, [...(truth.get(identity) ?? []), p.provider]);
    }
  const identityOf = new Map(
    plan.map((e) => [pseudonymOf(pseudonyms, e.identifier.kind, e.identifier.value), e.identity]),
  );
  const byPair: Record<string, number> = {};
  let linked = 0;
  let agreeing = 0;
  let expected = 0;
  // Over the version's learners (those the build kept: consenting, labelled, not suppressed).
  for (const row of rows) {
    const identity = identityOf.get(row.learner);
    const providers = identity ? [...(truth.get(identity) ?? [])].sort().join("+") : undefined;
    if (providers?.includes("+")) expected++;
    if (!row.providers.includes("+")) continue;
    linked++;
    byPair[row.providers] = (byPair[row.providers] ?? 0) + 1;
    if (providers === row.providers) agreeing++;
  }
  return {
    linked,
    expected,
    agreeing,
    byPair: Object.fromEntries(Object.entries(byPair).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/**
 * The cold-start comparison, as the training job ran it (`cold_start: true`): for each provider, the
 * job's model trained on its own train learners against one trained on the pool's, both scored on its
 * test learners; a learner counts for the provider where they were most active before the cut-off.
 * These are the operator's figures: the consumer sees only the rows the release gate let out.
 */
function coldStartOf(
  study: { rows: readonly ColdStartRow[]; skipped: readonly ColdStartSkip[] } | null,
  reason: string | null,
): DemoSummary["coldStart"] {
  return {
    model: "logistic regression",
    rows: (study?.rows ?? []).map((r) => ({
      provider: r.provider,
      ownTrain: r.n_train_own,
      test: r.n_test,
      aucOwn: r.auc_own,
      aucPooled: r.auc_pool,
      gain: r.gain,
      gainInterval: r.gain_low === null || r.gain_high === null ? null : [r.gain_low, r.gain_high],
    })),
    skipped: study
      ? study.skipped.map((s) => ({ provider: s.provider, reason: s.reason }))
      : [{ provider: "all", reason: reason ?? "the training job ran no cold-start study" }],
  };
}
