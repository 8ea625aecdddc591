/**
 * The public employment service (Emploi Public): a CSV of job seekers' paths — registration, entry
 * into a training, its end (completed or not), and a return to employment months later with the
 * contract's kind — with its mapping file. Job seekers are named by the e-mail on their file; the
 * service's own id stays internal (statement ids).
 */
import {
  attributeMapping,
  byKey,
  csvText,
  json,
  type ProviderData,
  type RosterEntry,
  rosterFile,
  typedEmail,
} from "../common.js";
import type { Population } from "../population.js";
import type { Rng } from "../random.js";

export const EMPLOYMENT_URL = "https://www.emploi-public.example";
const HEADER = [
  "identifiant",
  "nom",
  "prenom",
  "courriel",
  "evenement",
  "date",
  "categorie",
  "code",
  "libelle",
  "reussite",
  "type_contrat",
  "mois_apres",
  "tranche_age",
  "region",
];

export function employmentService(population: Population, rng: Rng): ProviderData {
  const learners = byKey(population.learners);
  const rows: { date: string; cells: (string | number | undefined)[] }[] = [];
  const roster: RosterEntry[] = [];
  const ids = new Set<string>();
  for (const path of population.employment) {
    const learner = learners.get(path.learner)!;
    let id: string;
    do id = `${String(rng.int(1_000_000, 9_999_999))}${String.fromCharCode(65 + rng.int(0, 25))}`;
    while (ids.has(id));
    ids.add(id);
    const email = typedEmail(rng, learner.email);
    roster.push({
      localId: id,
      givenName: learner.givenName,
      familyName: learner.familyName,
      identifier: email,
      learner: learner.key,
    });
    const row = (
      date: string,
      event: string,
      category: string,
      code: string,
      label: string,
      extra: { reussite?: string; contrat?: string; mois?: number } = {},
    ) =>
      rows.push({
        date,
        cells: [
          id,
          learner.familyName,
          learner.givenName,
          email,
          event,
          date,
          category,
          code,
          label,
          extra.reussite,
          extra.contrat,
          extra.mois,
          learner.ageBand,
          learner.region,
        ],
      });
    row(path.registered, "inscription", "parcours", "inscription", "Inscription comme demandeur d'emploi");
    if (path.training) {
      row(
        path.training.start,
        "entree_formation",
        "formations",
        path.training.course,
        "Assistant(e) numérique (AFPRO)",
      );
      row(
        path.training.end,
        "fin_formation",
        "formations",
        path.training.course,
        "Assistant(e) numérique (AFPRO)",
        { reussite: path.training.completed ? "oui" : "non" },
      );
    }
    if (path.employment) {
      const contract = path.employment.contract;
      row(
        path.employment.date,
        "reprise_emploi",
        "emplois",
        contract === "intérim" ? "interim" : contract.toLowerCase(),
        `Reprise d'emploi (${contract})`,
        {
          contrat: contract,
          ...(path.training && { mois: path.employment.monthsAfter }),
        },
      );
    }
  }
  rows.sort((a, b) => a.date.localeCompare(b.date) || String(a.cells[0]).localeCompare(String(b.cells[0])));
  const verb = (id: string, fr: string, en: string) => ({ id, display: { "fr-FR": fr, "en-US": en } });
  const extension = (name: string) => `${EMPLOYMENT_URL}/xapi/extensions/${name}`;
  const mapping = {
    csv: { delimiter: ",", encoding: "utf-8", header: true },
    id: {
      namespace: "6e2d9a14-3b5c-5f8a-9d1e-7c0b4a2f6e38",
      columns: ["identifiant", "evenement", "code", "date"],
    },
    actor: { mbox: "mailto:{courriel}", name: "{prenom} {nom}" },
    verb: {
      column: "evenement",
      map: {
        inscription: verb("http://adlnet.gov/expapi/verbs/registered", "s'est inscrit(e)", "registered"),
        entree_formation: verb(
          "http://adlnet.gov/expapi/verbs/launched",
          "est entré(e) en formation",
          "started a training",
        ),
        fin_formation: verb("http://adlnet.gov/expapi/verbs/completed", "a terminé", "completed"),
        reprise_emploi: verb(`${EMPLOYMENT_URL}/xapi/verbs/employed`, "a repris un emploi", "was employed"),
      },
    },
    object: {
      id: `${EMPLOYMENT_URL}/{categorie}/{code}`,
      definition: {
        type: {
          column: "categorie",
          map: {
            parcours: `${EMPLOYMENT_URL}/xapi/activity-types/job-seeker-path`,
            formations: "http://adlnet.gov/expapi/activities/course",
            emplois: `${EMPLOYMENT_URL}/xapi/activity-types/employment`,
          },
        },
        name: { "fr-FR": "{libelle}" },
      },
    },
    result: { success: { column: "reussite", map: { oui: true, non: false } } },
    context: {
      platform: "Emploi Public",
      language: "fr-FR",
      extensions: {
        [extension("contract")]: "{type_contrat}",
        [extension("months-after-training")]: { column: "mois_apres", type: "integer" },
        ...attributeMapping(),
      },
    },
    timestamp: { column: "date", format: "YYYY-MM-DD", timeZone: "Europe/Paris" },
  };
  return {
    provider: "employment",
    name: "Emploi Public (public employment service)",
    format: "csv",
    input: "employment/paths.csv",
    config: "employment/mapping.json",
    identifier: { kind: "email", agent: "mbox" },
    roster,
    records: rows.length,
    files: [
      {
        path: "employment/paths.csv",
        content: csvText(
          HEADER,
          rows.map((r) => r.cells),
        ),
      },
      { path: "employment/mapping.json", content: json(mapping) },
      rosterFile("employment/roster.csv", roster, "email"),
    ],
  };
}
