/**
 * The secondary school (the académie's schools, through their school-life software): the term reports'
 * export, one row per pupil, term and subject — the term average out of 20 and the half-days of
 * absence — with the mapping file the `csv` converter reads. Pupils are named by their INE, the
 * national student id the school's register holds; the reading app knows the same INE (as the
 * school's directory passed it on), so that the two link.
 */
import {
  attributeMapping,
  csvText,
  json,
  type ProviderData,
  type RosterEntry,
  rosterFile,
} from "../common.js";
import type { Population } from "../population.js";
import type { Rng } from "../random.js";

export const SCHOOL_URL = "https://ent.academie-exemple.example";
const INE_HOMEPAGE = `${SCHOOL_URL}/ine`;
const HEADER = [
  "num_eleve",
  "ine",
  "nom",
  "prenom",
  "etablissement",
  "uai",
  "classe",
  "periode",
  "date_conseil",
  "matiere",
  "code_matiere",
  "moyenne",
  "absences",
  "tranche_age",
  "region",
];
const TERMS = [
  { code: "T1", date: "28/11/2025" },
  { code: "T2", date: "06/03/2026" },
];
/** Subjects and how hard each is on average (points out of 20 below the mean). */
const SUBJECTS = [
  { name: "Français", code: "FRA", offset: 0 },
  { name: "Mathématiques", code: "MAT", offset: -0.8 },
  { name: "Histoire-géographie", code: "HG", offset: 0.4 },
  { name: "Anglais", code: "ANG", offset: 0.6 },
];

/** A school's UAI (its official code, 7 digits and a letter), stable for its name. */
function uai(name: string): string {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `0${String(750_000 + (h % 9_999)).padStart(6, "0")}${String.fromCharCode(65 + (h % 26))}`;
}

export function school(population: Population, rng: Rng): ProviderData {
  const readers = new Map(
    population.enrolments.filter((e) => e.provider === "reading").map((e) => [e.learner, e]),
  );
  const rows: (string | number | undefined)[][] = [];
  const roster: RosterEntry[] = [];
  population.learners
    .filter((l) => l.segment === "pupil")
    .forEach((learner, index) => {
      const number = `E${String(240_000 + index * 3).padStart(7, "0")}`;
      roster.push({
        localId: number,
        givenName: learner.givenName,
        familyName: learner.familyName,
        identifier: learner.ine!,
        learner: learner.key,
        ...(learner.guardian && {
          guardian: {
            givenName: learner.guardian.givenName,
            familyName: learner.guardian.familyName,
            email: learner.guardian.email,
          },
        }),
      });
      const { name, grade } = learner.school!;
      const classe = `${grade}${rng.pick(["A", "B", "C", "D"])}`;
      const ability = 0.7 * learner.motivation + 0.5 * rng.normal();
      const reading = readers.get(learner.key);
      TERMS.forEach((term, t) => {
        const absences = rng.poisson(Math.exp(1 - 0.5 * learner.motivation + 0.2 * t));
        for (const subject of SUBJECTS) {
          // Reading with the app through the term helps French a little (what an impact study would look for).
          const readingEffect =
            subject.code === "FRA" && reading
              ? 0.4 +
                (0.15 * reading.activity.slice(0, 8 * (t + 1)).reduce((a, b) => a + b, 0)) / (8 * (t + 1))
              : 0;
          const mark =
            11 + 3 * ability + subject.offset + readingEffect - 0.15 * absences + 1.2 * rng.normal();
          const moyenne = Math.round(Math.min(20, Math.max(0, mark)) * 2) / 2;
          rows.push([
            number,
            learner.ine,
            learner.familyName,
            learner.givenName,
            name,
            uai(name),
            classe,
            term.code,
            term.date,
            subject.name,
            subject.code,
            moyenne,
            absences,
            learner.ageBand,
            learner.region,
          ]);
        }
      });
    });
  const mapping = {
    csv: { delimiter: ";", encoding: "utf-8", header: true },
    id: { namespace: "8a4e2f10-5c3b-5d6e-9f70-1b2c3d4e5f60", columns: ["ine", "periode", "code_matiere"] },
    actor: { account: { homePage: INE_HOMEPAGE, name: "{ine}" }, name: "{prenom} {nom}" },
    verb: {
      id: "http://adlnet.gov/expapi/verbs/scored",
      display: { "fr-FR": "a obtenu", "en-US": "scored" },
    },
    object: {
      id: `${SCHOOL_URL}/etablissements/{uai}/classes/{classe}/bulletins/{periode}/{code_matiere}`,
      definition: {
        type: "http://adlnet.gov/expapi/activities/assessment",
        name: { "fr-FR": "{matiere} – bulletin {periode}" },
      },
    },
    result: { score: { raw: { column: "moyenne" }, min: 0, max: 20 } },
    context: {
      registration: { uuidOf: ["ine", "classe"] },
      platform: "Vie scolaire",
      language: "fr-FR",
      contextActivities: {
        parent: [
          {
            id: `${SCHOOL_URL}/etablissements/{uai}/classes/{classe}`,
            definition: {
              type: "http://adlnet.gov/expapi/activities/course",
              name: { "fr-FR": "{etablissement}, classe de {classe}" },
            },
          },
        ],
      },
      extensions: {
        [`${SCHOOL_URL}/xapi/extensions/absent-half-days`]: { column: "absences", type: "integer" },
        ...attributeMapping(),
      },
    },
    timestamp: { column: "date_conseil", format: "DD/MM/YYYY", timeZone: "Europe/Paris" },
  };
  return {
    provider: "school",
    name: "Collèges et lycées de l'académie (term reports)",
    format: "csv",
    input: "school/bulletins.csv",
    config: "school/mapping.json",
    identifier: { kind: "ine", agent: "account", homePage: INE_HOMEPAGE },
    roster,
    records: rows.length,
    files: [
      { path: "school/bulletins.csv", content: csvText(HEADER, rows, ";") },
      { path: "school/mapping.json", content: json(mapping) },
      rosterFile("school/roster.csv", roster, "ine"),
    ],
  };
}
