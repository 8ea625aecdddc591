/**
 * What the demonstration data space is made of, decided before anything is written: its participants,
 * the providers' offers and descriptions, the agreement's draft, the de-identification profile, the
 * build and training specs, and each learner's consent choice. Pure: the same generated data and seed
 * give the same plan.
 */
import { stringify as yaml } from "yaml";
import type { AgreementDraft } from "../../contract/index.js";
import { type IdentifierKind, normalizeIdentifier } from "../../privacy/index.js";
import {
  ATTRIBUTE_EXTENSIONS,
  type GeneratedDataSpace,
  type Learner,
  type ProviderData,
  type ProviderId,
} from "../generate/index.js";
import { REGIONS } from "../generate/names.js";
import { Rng } from "../generate/random.js";

/**
 * The demonstration's default size: on a 2-core machine its build steps (everything after generating
 * the files) finish within a minute.
 */
export const DEMO_LEARNERS = 250;

/** The purpose the lab asks for: early detection of dropout, as academic research (DPV). */
export const DEMO_PURPOSE = "dpv:AcademicResearch";
export const DATA_CATEGORY = "pd:EducationExperience";
/** The agreement's linkage domain: no provider holds its key, pseudonyms come from the OPRF service. */
export const LINKAGE_DOMAIN = "demo-dropout";
export const PROFILE_ID = "demo-dropout-research";
export const PROFILE_VERSION = "1.0.0";
export const DATASET_NAME = "dropout-early-detection";
export const OPERATOR = "operator";
export const CONSUMER = "lab";
/** The span of the generated traces (school year 2025-26, with the summer before and the autumn after). */
export const SPAN = { from: "2025-05-01", to: "2026-12-01" } as const;

export type DemoRole = "operator" | "provider" | "consumer";

export interface DemoParticipant {
  id: string;
  role: DemoRole;
  title: string;
}

export const participantIri = (id: string): string => `urn:learnpool:participant:${id}`;

/** The operator, the six providers (each its own store in the LRS) and the research lab. */
export function demoParticipants(providers: readonly ProviderData[]): DemoParticipant[] {
  return [
    { id: OPERATOR, role: "operator", title: "Learnpool operator (trusted environment)" },
    ...providers.map((p) => ({ id: p.provider, role: "provider" as const, title: p.name })),
    { id: CONSUMER, role: "consumer", title: "Learning Analytics Research Lab" },
  ];
}

/** A provider's catalog description: what it says of its data (volumes are derived from its store). */
export function providerDescription(provider: ProviderData): Record<string, unknown> {
  return {
    title: `${provider.name}: learning traces 2025-26`,
    description: `Learning traces of ${provider.name}, converted to xAPI from its ${provider.format} exports, for research on dropout and learning paths.`,
    language: "fr",
    themes: ["education", "dropout"],
    keywords: ["dropout", provider.provider, provider.format],
    dataCategories: [DATA_CATEGORY],
    formats: ["xapi+json", "parquet"],
  };
}

/** The terms every offer states and the agreement keeps: derive and distribute for academic research, no marketing. */
function researchTerms(): Record<string, unknown> {
  const purpose = [{ leftOperand: "purpose", operator: "isA", rightOperand: { "@id": DEMO_PURPOSE } }];
  return {
    "@context": ["http://www.w3.org/ns/odrl.jsonld", { dpv: "https://w3id.org/dpv#" }],
    permission: [
      { action: "derive", constraint: purpose },
      { action: "distribute", constraint: purpose },
    ],
    prohibition: [
      {
        action: "use",
        constraint: [{ leftOperand: "purpose", operator: "isA", rightOperand: { "@id": "dpv:Marketing" } }],
      },
    ],
  };
}

/** A provider's ODRL Offer: the research terms, assigned by the provider. */
export function providerOffer(provider: string): Record<string, unknown> {
  return {
    ...researchTerms(),
    "@type": "Offer",
    uid: `urn:learnpool:offer:demo:${provider}`,
    assigner: participantIri(provider),
  };
}

/**
 * The lab's proposal: every party (operator, the providers whose offers it found, the lab), the
 * offers it came from, two years of validity, the linkage domain and the de-identification profile.
 */
export function agreementDraft(input: {
  providers: readonly string[];
  offers: readonly string[];
  notBefore: string;
  notAfter: string;
}): AgreementDraft {
  return {
    proposedBy: CONSUMER,
    parties: [
      { participant: OPERATOR, role: "operator" },
      ...input.providers.map((p) => ({ participant: p, role: "provider" as const })),
      { participant: CONSUMER, role: "consumer" },
    ],
    offers: [...input.offers],
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    linkageDomain: LINKAGE_DOMAIN,
    deidentificationProfile: `${PROFILE_ID}@${PROFILE_VERSION}`,
    policy: {
      ...researchTerms(),
      "@type": "Agreement",
      assigner: input.providers.map(participantIri),
      assignee: participantIri(CONSUMER),
      target: `urn:learnpool:dataset:${DATASET_NAME}`,
    },
  };
}

/**
 * Where providers name learners by accounts, the account's homePage says which identifier its name
 * is (the school's and the reading app's INE, the MOOC's e-mail), so that linkage normalizes it as one.
 */
export function accountKinds(providers: readonly ProviderData[]): Record<string, IdentifierKind> {
  const kinds: Record<string, IdentifierKind> = {};
  for (const p of providers)
    if (p.identifier.agent === "account" && p.identifier.homePage)
      kinds[p.identifier.homePage] = p.identifier.kind;
  return kinds;
}

/** Regions grouped in five areas: the first step of generalizing a region. */
const MACRO_AREAS: Record<(typeof REGIONS)[number], string> = {
  "Auvergne-Rhône-Alpes": "Sud-Est",
  "Bourgogne-Franche-Comté": "Nord-Est",
  Bretagne: "Ouest",
  "Centre-Val de Loire": "Ouest",
  "Grand Est": "Nord-Est",
  "Hauts-de-France": "Nord-Est",
  "Île-de-France": "Île-de-France",
  Normandie: "Ouest",
  "Nouvelle-Aquitaine": "Sud-Ouest",
  Occitanie: "Sud-Ouest",
  "Pays de la Loire": "Ouest",
  "Provence-Alpes-Côte d'Azur": "Sud-Est",
};

/** The extensions that leave (progress, pages, absences, employment outcome); any other is dropped. */
const KEPT_EXTENSIONS = {
  result: ["https://w3id.org/xapi/cmi5/result/extensions/progress"],
  context: [
    "https://www.lirelibre.example/xapi/extensions/page-number",
    "https://ent.academie-exemple.example/xapi/extensions/absent-half-days",
    "https://www.emploi-public.example/xapi/extensions/contract",
    "https://www.emploi-public.example/xapi/extensions/months-after-training",
    ATTRIBUTE_EXTENSIONS.ageBand,
    ATTRIBUTE_EXTENSIONS.region,
  ],
};

/** Generalization hierarchies (ARX's CSV: value;level 1;level 2) of the risk check's attributes. */
export const HIERARCHIES: Record<"age_band" | "region", string> = {
  age_band: `${[
    ["11-14", "minor"],
    ["15-17", "minor"],
    ["18-25", "adult"],
    ["26-35", "adult"],
    ["36-50", "adult"],
    ["51+", "adult"],
  ]
    .map(([value, group]) => `${value};${group};*`)
    .join("\n")}\n`,
  region: `${REGIONS.map((region) => `${region};${MACRO_AREAS[region]};*`).join("\n")}\n`,
};

/** The agreement's de-identification profile (YAML), for the linkage domain whose IRI is `domain`. */
export function profileYaml(domain: string, providers: readonly ProviderData[]): string {
  return yaml({
    id: PROFILE_ID,
    version: PROFILE_VERSION,
    domain,
    agents: { authority: "drop", instructor: "drop", accountKinds: accountKinds(providers) },
    extensions: KEPT_EXTENSIONS,
  });
}

/** The build spec (YAML) of the dataset under `agreement`, written to `output`. */
export function buildSpecText(agreement: string, providers: readonly string[], output: string): string {
  return yaml({
    name: DATASET_NAME,
    agreement,
    providers: [...providers],
    span: { ...SPAN },
    deidentification: { profile: "profile.yaml" },
    attributes: {
      age_band: { extension: ATTRIBUTE_EXTENSIONS.ageBand, hierarchy: "age_band.csv" },
      region: { extension: ATTRIBUTE_EXTENSIONS.region, hierarchy: "region.csv" },
    },
    views: { statements: true, learner_periods: { period: "week" } },
    cutoff_day: 27,
    label: { kind: "dropout", inactivity_days: 28 },
    splits: { by: "learner", ratios: { train: 0.6, validation: 0.2, test: 0.2 }, stratify: true },
    seed: 42,
    risk: { min_k: 5, max_average_risk: 0.1, action: "generalize", max_suppressed_fraction: 0.05 },
    output,
  });
}

/** The lab's training job (YAML): logistic regression on the version's weekly activity. */
export function jobSpecText(version: string): string {
  return yaml({
    version,
    view: "learner_periods",
    label: "dropout",
    purpose: DEMO_PURPOSE,
    features: { categorical: ["age_band", "region"] },
    periods: "sum",
    model: { kind: "logistic", params: { l2: 0.05 } },
    groups: ["age_band"],
    seed: 7,
    cold_start: true,
    limits: { memory_mb: 512, seconds: 600 },
  });
}

// ------------------------------------------------------------------------------------------- consent

export type ConsentChoice = "give" | "refuse" | "withdraw";

/** One learner's consent, as the first provider that knows them asks it. */
export interface ConsentPlanEntry {
  /** Ground truth key (never leaves the demo's own bookkeeping). */
  learner: string;
  /** `kind:normalized identifier`: what the pseudonym is derived from. */
  identity: string;
  /** The provider that asks (the first, in the providers' order, whose roster holds the learner). */
  provider: ProviderId;
  /** The identifier the asking provider holds, as it wrote it, and its kind. */
  identifier: { kind: IdentifierKind; value: string };
  /** `withdraw`: gives, then withdraws mid-course. */
  choice: ConsentChoice;
  /** What the provider knows of the age: adult, or the birth year-month of a minor. */
  age: { adult: true } | { birthYearMonth: string };
  /** A minor's guardian, who consents jointly when the learner is under the age of digital consent. */
  guardian?: { email: string; relationship: "parent" | "legal-guardian" };
}

/** Shares of the choices: most give, some refuse, a few give and withdraw later. */
export const CONSENT_SHARES = { refuse: 0.12, withdraw: 0.05 } as const;

/**
 * Every identity some provider holds (a learner named by the same normalized identifier at two
 * providers is asked once, by the first), with the learner's seeded choice: a person named two ways
 * (a student's university and personal e-mails) answers the same on both.
 */
export function consentPlan(space: GeneratedDataSpace, seed: number): ConsentPlanEntry[] {
  const rng = new Rng(seed ^ 0xc0de).fork("consent");
  const byKey = new Map<string, Learner>(space.population.learners.map((l) => [l.key, l]));
  const choices = new Map<string, ConsentChoice>();
  const seen = new Set<string>();
  const plan: ConsentPlanEntry[] = [];
  for (const provider of space.providers)
    for (const entry of provider.roster) {
      const kind = provider.identifier.kind;
      const identity = `${kind}:${normalizeIdentifier(kind, entry.identifier).value}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      const learner = byKey.get(entry.learner);
      if (!learner)
        throw new Error(`roster of ${provider.provider}: learner ${entry.learner} is not in the population`);
      let choice = choices.get(learner.key);
      if (choice === undefined) {
        const r = rng.float();
        choice =
          r < CONSENT_SHARES.refuse
            ? "refuse"
            : r < CONSENT_SHARES.refuse + CONSENT_SHARES.withdraw
              ? "withdraw"
              : "give";
        choices.set(learner.key, choice);
      }
      plan.push({
        learner: entry.learner,
        identity,
        provider: provider.provider,
        identifier: { kind, value: entry.identifier },
        choice,
        age: learner.minor ? { birthYearMonth: learner.birth } : { adult: true },
        ...(learner.minor &&
          learner.guardian && {
            guardian: {
              email: learner.guardian.email,
              relationship: learner.guardian.relation === "guardian" ? "legal-guardian" : "parent",
            },
          }),
      });
    }
  return plan;
}
