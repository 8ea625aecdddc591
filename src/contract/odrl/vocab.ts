/**
 * The vocabularies the evaluator understands, as tables: ODRL 2.2 terms and its action hierarchy
 * (`includedIn`), a subset of the W3C DPV purpose taxonomy with its `skos:broader` links, the
 * countries of the European Economic Area, and Learnpool's own ODRL profile.
 */
export const ODRL = "http://www.w3.org/ns/odrl/2/";
export const DPV = "https://w3id.org/dpv#";
export const LP = "https://w3id.org/learnpool/odrl/";
export const XSD = "http://www.w3.org/2001/XMLSchema#";
export const RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
export const DCT = "http://purl.org/dc/terms/";
export const REPORT = "https://w3id.org/force/compliance-report#";
export const ISO3166 = "urn:iso:std:iso:3166:";

/** ODRL 2.2 actions and the action each is `odrl:includedIn` (the ODRL Common Vocabulary). */
const ACTION_INCLUDED_IN: Record<string, string> = {
  acceptTracking: "use",
  aggregate: "use",
  annotate: "use",
  anonymize: "use",
  archive: "use",
  attribute: "use",
  compensate: "use",
  concurrentUse: "use",
  delete: "use",
  derive: "use",
  digitize: "use",
  display: "play",
  distribute: "use",
  ensureExclusivity: "use",
  execute: "use",
  extract: "reproduce",
  give: "transfer",
  grantUse: "use",
  include: "use",
  index: "use",
  inform: "use",
  install: "use",
  modify: "use",
  move: "use",
  nextPolicy: "use",
  obtainConsent: "use",
  play: "use",
  present: "use",
  print: "use",
  read: "use",
  reproduce: "use",
  reviewPolicy: "use",
  sell: "transfer",
  stream: "use",
  synchronize: "use",
  textToSpeech: "use",
  transform: "use",
  translate: "use",
  uninstall: "use",
  watermark: "use",
  write: "modify",
};
export const ACTIONS = new Set([...Object.keys(ACTION_INCLUDED_IN), "use", "transfer"].map((a) => ODRL + a));

/** The actions an action is included in, itself first (read → use). */
export function actionAncestors(action: string): string[] {
  const out = [action];
  let current = action;
  while (current.startsWith(ODRL)) {
    const parent = ACTION_INCLUDED_IN[current.slice(ODRL.length)];
    if (!parent || out.includes(ODRL + parent)) break;
    current = ODRL + parent;
    out.push(current);
  }
  return out;
}

/** DPV purposes (https://w3id.org/dpv#) used in education data sharing, each with its skos:broader. */
const PURPOSE_BROADER: Record<string, string[]> = {
  Purpose: [],
  ResearchAndDevelopment: ["Purpose"],
  AcademicResearch: ["ResearchAndDevelopment"],
  ScientificResearch: ["ResearchAndDevelopment"],
  NonCommercialResearch: ["ResearchAndDevelopment"],
  CommercialResearch: ["ResearchAndDevelopment"],
  DevelopNewProductsAndServices: ["ResearchAndDevelopment"],
  ServiceProvision: ["Purpose"],
  ServiceOptimisation: ["ServiceProvision"],
  ServicePersonalisation: ["ServiceProvision"],
  PersonalisedBenefits: ["ServicePersonalisation"],
  OptimisationForController: ["ServiceOptimisation"],
  OptimisationForConsumer: ["ServiceOptimisation"],
  ImproveExistingProductsAndServices: ["OptimisationForController"],
  ProvideEducation: ["Purpose"],
  PersonalisedEducation: ["ProvideEducation", "ServicePersonalisation"],
  EducationalAssessment: ["ProvideEducation"],
  ProvideCertification: ["ProvideEducation"],
  TrainingArtificialIntelligence: ["DevelopNewProductsAndServices"],
  TrainAIModel: ["TrainingArtificialIntelligence"],
  ValidateAIModel: ["TrainingArtificialIntelligence"],
  EnforceSecurity: ["Purpose"],
  LegalCompliance: ["Purpose"],
  Marketing: ["Purpose"],
  Advertising: ["Marketing"],
  PersonalisedAdvertising: ["Advertising", "ServicePersonalisation"],
  DirectMarketing: ["Marketing"],
  CommunicationManagement: ["Purpose"],
  HumanResourceManagement: ["Purpose"],
  RecruitmentAndHiring: ["HumanResourceManagement"],
  PublicBenefit: ["Purpose"],
  StatisticalPurpose: ["Purpose"],
};
/** The DPV purpose taxonomy subset: IRI → the IRIs of its broader purposes. */
export const DPV_PURPOSES: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(PURPOSE_BROADER).map(([k, v]) => [DPV + k, v.map((b) => DPV + b)]),
);

/** ISO 3166-1 alpha-2 codes of the EEA: the 27 EU member states, Iceland, Liechtenstein and Norway. */
export const EU = [
  "AT",
  "BE",
  "BG",
  "HR",
  "CY",
  "CZ",
  "DK",
  "EE",
  "FI",
  "FR",
  "DE",
  "GR",
  "HU",
  "IE",
  "IT",
  "LV",
  "LT",
  "LU",
  "MT",
  "NL",
  "PL",
  "PT",
  "RO",
  "SK",
  "SI",
  "ES",
  "SE",
];
export const EEA = [...EU, "IS", "LI", "NO"];
export const REGION_EEA = `${LP}EEA`;
export const REGION_EU = `${LP}EU`;

/** Learnpool's profile terms (left operands). */
export const LP_TERMS = {
  consentStatus: `${LP}consentStatus`,
  minK: `${LP}minK`,
  maxEpsilon: `${LP}maxEpsilon`,
  /** The largest membership-inference advantage a released model may show (a number in [0, 1]). */
  maxAdvantage: `${LP}maxAdvantage`,
  ageBand: `${LP}ageBand`,
  releaseType: `${LP}releaseType`,
} as const;

/** Left operands the evaluator knows. */
export const KNOWN_LEFT_OPERANDS = new Set([
  ...[
    "dateTime",
    "elapsedTime",
    "count",
    "spatial",
    "purpose",
    "recipient",
    "industry",
    "language",
    "media",
    "deliveryChannel",
    "event",
    "fileFormat",
    "percentage",
    "payAmount",
    "product",
    "resolution",
    "spatialCoordinates",
    "systemDevice",
    "unitOfCount",
    "version",
    "virtualLocation",
    "timeInterval",
    "absolutePosition",
    "absoluteSpatialPosition",
    "absoluteSize",
    "relativePosition",
    "relativeSize",
    "meteredTime",
  ].map((t) => ODRL + t),
  ...Object.values(LP_TERMS),
]);

/** ODRL 2.2's twelve constraint operators, by name. */
export const OPERATOR_NAMES = [
  "eq",
  "neq",
  "lt",
  "lteq",
  "gt",
  "gteq",
  "isA",
  "hasPart",
  "isPartOf",
  "isAllOf",
  "isAnyOf",
  "isNoneOf",
] as const;

export const OPERATORS = new Set(OPERATOR_NAMES.map((o) => ODRL + o));
