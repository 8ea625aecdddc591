/**
 * Each provider's own small skills framework, and its alignment to a common target framework shaped
 * like ESCO's skills pillar (IRIs under esco.example.eu: ESCO-like, not ESCO's). Written in the
 * interop module's file forms (`learnpool-skills-framework/1`, `learnpool-skills-alignments/1`) so that
 * `learnpool skills translate` reads them as they are.
 */
import type { AlignmentSet, FrameworkFile } from "../../interop/skills/index.js";

export type SkilledProvider = "reading" | "mooc" | "university" | "training";

/** A concept of a provider's framework: its code, labels, and the common concept it matches. */
export interface SkillConcept {
  code: string;
  fr: string;
  en: string;
  /** Slug of the common concept, and how closely it matches. */
  target: string;
  relation: "exactMatch" | "closeMatch";
}

export const COMMON_SCHEME = "https://esco.example.eu/skill";

/** The common target: labels in French and English, as ESCO carries both. */
const COMMON: Record<string, { fr: string; en: string }> = {
  "reading-comprehension": { fr: "compréhension de l'écrit", en: "reading comprehension" },
  vocabulary: { fr: "étendre son vocabulaire", en: "develop vocabulary" },
  "critical-thinking": { fr: "faire preuve d'esprit critique", en: "think critically" },
  "python-programming": { fr: "programmer en Python", en: "Python (computer programming)" },
  "data-cleaning": { fr: "nettoyer des données", en: "perform data cleansing" },
  "data-visualisation": { fr: "visualiser des données", en: "visualise data" },
  statistics: { fr: "statistiques", en: "statistics" },
  probability: { fr: "théorie des probabilités", en: "probability theory" },
  spreadsheets: { fr: "utiliser un tableur", en: "use spreadsheets software" },
  "web-development": { fr: "développer des sites web", en: "develop websites" },
  "customer-service": { fr: "assurer le service à la clientèle", en: "provide customer service" },
};

export const FRAMEWORKS: Record<
  SkilledProvider,
  { scheme: string; title: { fr: string; en: string }; concepts: SkillConcept[] }
> = {
  reading: {
    scheme: "https://www.lirelibre.example/competences",
    title: { fr: "Référentiel de lecture LireLibre", en: "LireLibre reading framework" },
    concepts: [
      {
        code: "LIT",
        fr: "Compréhension littérale",
        en: "Literal comprehension",
        target: "reading-comprehension",
        relation: "exactMatch",
      },
      {
        code: "INF",
        fr: "Inférences",
        en: "Making inferences",
        target: "reading-comprehension",
        relation: "closeMatch",
      },
      { code: "VOC", fr: "Vocabulaire", en: "Vocabulary", target: "vocabulary", relation: "exactMatch" },
      {
        code: "CRI",
        fr: "Lecture critique",
        en: "Critical reading",
        target: "critical-thinking",
        relation: "closeMatch",
      },
    ],
  },
  mooc: {
    scheme: "https://mooc.savoirs-ouverts.example/skills",
    title: { fr: "Compétences Savoirs Ouverts", en: "Savoirs Ouverts skills" },
    concepts: [
      {
        code: "PY1",
        fr: "Bases de Python",
        en: "Python basics",
        target: "python-programming",
        relation: "exactMatch",
      },
      {
        code: "DAT",
        fr: "Préparation des données",
        en: "Data preparation",
        target: "data-cleaning",
        relation: "closeMatch",
      },
      {
        code: "VIZ",
        fr: "Visualisation de données",
        en: "Data visualisation",
        target: "data-visualisation",
        relation: "exactMatch",
      },
      {
        code: "STA",
        fr: "Statistiques de base",
        en: "Basic statistics",
        target: "statistics",
        relation: "closeMatch",
      },
    ],
  },
  university: {
    scheme: "https://moodle.univ-exemple.fr/referentiel",
    title: { fr: "Référentiel de compétences Licence MIASHS", en: "MIASHS bachelor skills framework" },
    concepts: [
      {
        code: "STAT-DESC",
        fr: "Statistique descriptive",
        en: "Descriptive statistics",
        target: "statistics",
        relation: "exactMatch",
      },
      { code: "PROBA", fr: "Probabilités", en: "Probability", target: "probability", relation: "exactMatch" },
      {
        code: "PROG",
        fr: "Programmation",
        en: "Programming",
        target: "python-programming",
        relation: "closeMatch",
      },
    ],
  },
  training: {
    scheme: "https://www.afpro-centre.example/referentiel",
    title: { fr: "Référentiel Assistant(e) numérique", en: "Digital assistant framework" },
    concepts: [
      { code: "TAB", fr: "Tableur", en: "Spreadsheets", target: "spreadsheets", relation: "exactMatch" },
      {
        code: "WEB",
        fr: "Intégration web",
        en: "Web integration",
        target: "web-development",
        relation: "closeMatch",
      },
      {
        code: "CLI",
        fr: "Relation client",
        en: "Customer relations",
        target: "customer-service",
        relation: "closeMatch",
      },
    ],
  },
};

export const conceptIri = (provider: SkilledProvider, code: string): string =>
  `${FRAMEWORKS[provider].scheme}/${code}`;

function frameworkFile(
  id: string,
  title: { fr: string; en: string },
  concepts: { iri: string; fr: string; en: string; notation?: string }[],
): FrameworkFile {
  return {
    format: "learnpool-skills-framework/1",
    id,
    title,
    languages: ["en", "fr"],
    concepts: concepts
      .map((c) => ({
        iri: c.iri,
        prefLabel: { en: c.en, fr: c.fr },
        altLabels: {},
        hiddenLabels: {},
        definition: {},
        ...(c.notation !== undefined && { notation: c.notation }),
        broader: [],
        narrower: [],
        top: true,
      }))
      .sort((a, b) => (a.iri < b.iri ? -1 : 1)),
  };
}

export function commonFramework(): FrameworkFile {
  return frameworkFile(
    COMMON_SCHEME,
    { fr: "Compétences communes (de type ESCO)", en: "Common skills (ESCO-like)" },
    Object.entries(COMMON).map(([slug, labels]) => ({ iri: `${COMMON_SCHEME}/${slug}`, ...labels })),
  );
}

export function providerFramework(provider: SkilledProvider): FrameworkFile {
  const { scheme, title, concepts } = FRAMEWORKS[provider];
  return frameworkFile(
    scheme,
    title,
    concepts.map((c) => ({ iri: conceptIri(provider, c.code), fr: c.fr, en: c.en, notation: c.code })),
  );
}

/** The provider's alignments to the common framework, accepted (decided by the provider's staff). */
export function providerAlignments(provider: SkilledProvider): AlignmentSet {
  const { scheme, concepts } = FRAMEWORKS[provider];
  return {
    format: "learnpool-skills-alignments/1",
    source: scheme,
    target: COMMON_SCHEME,
    alignments: concepts.map((c) => ({
      source: conceptIri(provider, c.code),
      target: `${COMMON_SCHEME}/${c.target}`,
      relation: c.relation,
      status: "accepted",
      origin: "manual",
      sourceScheme: scheme,
      targetScheme: COMMON_SCHEME,
    })),
  };
}
