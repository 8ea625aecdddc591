/**
 * The demonstration data space's generated data: a seeded population and, per provider, its native
 * files (what it would export), its converter configuration, its roster, its skills framework with
 * alignments, plus the ground truth a demonstration evaluates linkage against. Pure: files are
 * returned in memory; `writeDataSpace` is the only part that touches the disk.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { csvText, type GeneratedFile, json, type ProviderData } from "./common.js";
import { DEFAULT_LEARNERS, DEFAULT_SEED, generatePopulation, type Population } from "./population.js";
import { employmentService } from "./providers/employment.js";
import { moocPlatform } from "./providers/mooc.js";
import { readingApp } from "./providers/reading.js";
import { school } from "./providers/school.js";
import { trainingCentre } from "./providers/training.js";
import { university } from "./providers/university.js";
import { Rng } from "./random.js";
import {
  commonFramework,
  FRAMEWORKS,
  providerAlignments,
  providerFramework,
  type SkilledProvider,
} from "./skills.js";

export {
  ATTRIBUTE_EXTENSIONS,
  type GeneratedFile,
  type ProviderData,
  type ProviderIdentifier,
  type RosterEntry,
} from "./common.js";
export * from "./population.js";
export { COMMON_SCHEME, conceptIri, FRAMEWORKS, type SkilledProvider } from "./skills.js";

export interface DataSpaceOptions {
  /** Default 600. */
  learners?: number;
  /** Default 2025. */
  seed?: number;
}

export interface GeneratedDataSpace {
  population: Population;
  providers: ProviderData[];
  /** Every file, providers' and shared ones (skills, ground truth, summary), in a stable order. */
  files: GeneratedFile[];
}

/** The whole data space's generated data, in memory. Same options, same bytes. */
export function generateDataSpace(options: DataSpaceOptions = {}): GeneratedDataSpace {
  const seed = options.seed ?? DEFAULT_SEED;
  const population = generatePopulation({ learners: options.learners ?? DEFAULT_LEARNERS, seed });
  // Each provider draws from its own stream: one provider's change leaves the others' bytes alone.
  const rng = new Rng(seed ^ 0x5eed);
  const providers: ProviderData[] = [
    school(population, rng.fork("school")),
    readingApp(population, rng.fork("reading")),
    moocPlatform(population, rng.fork("mooc")),
    university(population, rng.fork("university")),
    trainingCentre(population, rng.fork("training")),
    employmentService(population, rng.fork("employment")),
  ];
  const skills: GeneratedFile[] = [{ path: "skills/common.json", content: json(commonFramework()) }];
  for (const provider of Object.keys(FRAMEWORKS) as SkilledProvider[]) {
    skills.push(
      { path: `${provider}/skills/framework.json`, content: json(providerFramework(provider)) },
      { path: `${provider}/skills/alignments.json`, content: json(providerAlignments(provider)) },
    );
  }
  const files = [
    ...providers.flatMap((p) => p.files),
    ...skills,
    ...groundTruth(population, providers),
    summaryFile(population, providers),
  ];
  return { population, providers, files };
}

/**
 * What no provider holds: which roster entries are the same person, and the learners' attributes and
 * outcomes; for evaluating linkage and for the demonstration's consent scenario (minors, guardians).
 */
function groundTruth(population: Population, providers: readonly ProviderData[]): GeneratedFile[] {
  const learners = population.learners;
  const truth = csvText(
    [
      "learner",
      "given_name",
      "family_name",
      "gender",
      "birth",
      "age_band",
      "region",
      "segment",
      "minor",
      "email",
      "ine",
      "school",
      "guardian_given_name",
      "guardian_family_name",
      "guardian_email",
      "guardian_relation",
    ],
    learners.map((l) => [
      l.key,
      l.givenName,
      l.familyName,
      l.gender,
      l.birth,
      l.ageBand,
      l.region,
      l.segment,
      l.minor ? "yes" : "no",
      l.email,
      l.ine,
      l.school?.name,
      l.guardian?.givenName,
      l.guardian?.familyName,
      l.guardian?.email,
      l.guardian?.relation,
    ]),
  );
  const links = providers.flatMap((p) => p.roster.map((r) => [p.provider, r.localId, r.learner] as const));
  const enrolments = csvText(
    [
      "learner",
      "provider",
      "course",
      "start",
      "weeks",
      "outcome",
      "drop_week",
      "withdrew",
      "final_score",
      "weekly_sessions",
    ],
    population.enrolments.map((e) => [
      e.learner,
      e.provider,
      e.course,
      e.start,
      e.weeks,
      e.outcome,
      e.dropWeek,
      e.withdrew ? "yes" : "no",
      e.finalScore,
      e.activity.join(" "),
    ]),
  );
  return [
    { path: "truth/learners.csv", content: truth },
    { path: "truth/roster-links.csv", content: csvText(["provider", "local_id", "learner"], links) },
    { path: "truth/enrolments.csv", content: enrolments },
  ];
}

function summaryFile(population: Population, providers: readonly ProviderData[]): GeneratedFile {
  return {
    path: "summary.json",
    content: json({
      seed: population.seed,
      learners: population.learners.length,
      minors: population.learners.filter((l) => l.minor).length,
      providers: providers.map((p) => ({
        provider: p.provider,
        name: p.name,
        format: p.format,
        input: p.input,
        ...(p.config !== undefined && { config: p.config }),
        identifier: p.identifier,
        learners: p.roster.length,
        records: p.records,
      })),
    }),
  };
}

/** Writes the generated files under `folder` (created as needed), each file whole. */
export function writeDataSpace(folder: string, files: readonly GeneratedFile[]): void {
  for (const file of files) {
    const path = join(folder, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
