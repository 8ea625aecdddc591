/**
 * The vocational training centre (AFPRO): a spreadsheet export, one row per registration, attended
 * half-day, evaluation, withdrawal and final validation, with the mapping file the `csv` converter
 * reads. Dates are local (Europe/Paris, `DD/MM/YYYY HH:mm`), marks out of 20, the semicolon as
 * separator, as French office software writes it. Trainees are named by the e-mail the centre's staff
 * typed at registration; the trainee number stays internal (statement ids and registrations).
 */
import {
  attributeMapping,
  byKey,
  csvText,
  enrolmentsAt,
  json,
  type ProviderData,
  type RosterEntry,
  rosterFile,
  sessionTimes,
  typedEmail,
} from "../common.js";
import type { Population } from "../population.js";
import type { Rng } from "../random.js";
import { FRAMEWORKS } from "../skills.js";

export const TRAINING_URL = "https://www.afpro-centre.example";

const HEADER = [
  "num_stagiaire",
  "nom",
  "prenom",
  "courriel",
  "session",
  "intitule",
  "element",
  "type_element",
  "code_competence",
  "evenement",
  "date",
  "note",
  "duree",
  "reussite",
  "tranche_age",
  "region",
];
const TITLE = "Assistant(e) numérique";
/** Modules follow the framework: spreadsheets, then web integration, then customer relations. */
const moduleOf = (week: number, weeks: number): number => Math.min(2, Math.floor((week * 3) / weeks));

/** Europe/Paris local time of an instant, `DD/MM/YYYY HH:mm` (CET/CEST by the EU rule). */
export function parisTime(instant: number): string {
  const d = new Date(instant);
  const year = d.getUTCFullYear();
  // Summer time runs from the last Sunday of March to the last Sunday of October, at 01:00 UTC.
  const lastSunday = (month: number) => {
    const end = new Date(Date.UTC(year, month + 1, 0));
    return Date.UTC(year, month, end.getUTCDate() - end.getUTCDay(), 1);
  };
  const offset = instant >= lastSunday(2) && instant < lastSunday(9) ? 2 : 1;
  const local = new Date(instant + offset * 3_600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(local.getUTCDate())}/${p(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ${p(local.getUTCHours())}:${p(local.getUTCMinutes())}`;
}

export function trainingCentre(population: Population, rng: Rng): ProviderData {
  const learners = byKey(population.learners);
  const rows: { time: number; cells: (string | number | undefined)[] }[] = [];
  const roster: RosterEntry[] = [];
  const skills = FRAMEWORKS.training.concepts;
  enrolmentsAt(population.enrolments, "training").forEach((enrolment, index) => {
    const learner = learners.get(enrolment.learner)!;
    const number = `ST25-${String(index + 1).padStart(5, "0")}`;
    const email = typedEmail(rng, learner.email);
    roster.push({
      localId: number,
      givenName: learner.givenName,
      familyName: learner.familyName,
      identifier: email,
      learner: learner.key,
    });
    const row = (
      time: number,
      element: string,
      kind: "formation" | "module",
      competence: string | undefined,
      event: string,
      extra: { note?: number; duree?: string; reussite?: string } = {},
    ) =>
      rows.push({
        time,
        cells: [
          number,
          learner.familyName,
          learner.givenName,
          email,
          enrolment.course,
          TITLE,
          element,
          kind,
          competence,
          event,
          parisTime(time),
          extra.note,
          extra.duree,
          extra.reussite,
          learner.ageBand,
          learner.region,
        ],
      });
    const start = Date.parse(`${enrolment.start}T08:00:00Z`);
    row(
      start - rng.int(3, 20) * 86_400_000 + rng.int(0, 8) * 3_600_000,
      "formation",
      "formation",
      undefined,
      "inscription",
    );
    let last = start;
    const attended = new Set<number>();
    for (let week = 0; week < enrolment.weeks; week++) {
      const m = moduleOf(week, enrolment.weeks);
      const element = `M${m + 1}`;
      for (const time of sessionTimes(rng, enrolment.start, week, Math.min(enrolment.activity[week]!, 7))) {
        // An attended half-day, recorded at its start (08:00 or 13:30 local); two sessions in one half-day are one presence.
        const day = Math.floor(time / 86_400_000) * 86_400_000;
        const halfDay = day + (time - day < 11 * 3_600_000 ? 7 * 3_600_000 : 12.5 * 3_600_000);
        if (attended.has(halfDay)) continue;
        attended.add(halfDay);
        row(halfDay, element, "module", undefined, "presence", {
          duree: rng.chance(0.85) ? "PT3H30M" : "PT2H",
        });
        last = Math.max(last, halfDay);
      }
      const assessment = enrolment.assessments.find((a) => a.week === week);
      if (assessment) {
        const time =
          Date.parse(`${enrolment.start}T13:00:00Z`) + (week * 7 + 4) * 86_400_000 + rng.int(0, 59) * 60_000;
        const note = Math.round(assessment.score * 20 * 2) / 2;
        const code = skills.find((s) => s.code === assessment.skill)!.code;
        row(time, element, "module", code, "evaluation", { note, reussite: note >= 10 ? "oui" : "non" });
        last = Math.max(last, time);
      }
    }
    if (enrolment.withdrew && enrolment.dropWeek !== undefined) {
      const time = Math.max(
        last + 86_400_000,
        start + enrolment.dropWeek * 7 * 86_400_000 + rng.int(0, 4) * 86_400_000,
      );
      row(time, "formation", "formation", undefined, "abandon");
    }
    if (enrolment.outcome !== "dropped") {
      const time = start + (enrolment.weeks * 7 - 3) * 86_400_000 + 7 * 3_600_000;
      row(time, "formation", "formation", undefined, "validation", {
        reussite: enrolment.outcome === "passed" ? "oui" : "non",
      });
    }
  });
  rows.sort((a, b) => a.time - b.time || String(a.cells[0]).localeCompare(String(b.cells[0])));
  const verb = (id: string, fr: string, en: string) => ({ id, display: { "fr-FR": fr, "en-US": en } });
  const mapping = {
    csv: { delimiter: ";", encoding: "utf-8", header: true },
    id: {
      namespace: "0f6b2c1e-7a3d-5b9e-8c4f-2d1e0a9b8c7d",
      columns: ["num_stagiaire", "session", "element", "evenement", "date"],
    },
    actor: { mbox: "mailto:{courriel}", name: "{prenom} {nom}" },
    verb: {
      column: "evenement",
      map: {
        inscription: verb("http://adlnet.gov/expapi/verbs/registered", "s'est inscrit(e)", "registered"),
        presence: verb("http://adlnet.gov/expapi/verbs/attended", "a assisté", "attended"),
        evaluation: verb("http://adlnet.gov/expapi/verbs/scored", "a obtenu", "scored"),
        abandon: verb("https://w3id.org/xapi/adl/verbs/abandoned", "a abandonné", "abandoned"),
        validation: verb("http://adlnet.gov/expapi/verbs/completed", "a terminé", "completed"),
      },
    },
    object: {
      id: `${TRAINING_URL}/sessions/{session}/{element}`,
      definition: {
        type: {
          column: "type_element",
          map: {
            formation: "http://adlnet.gov/expapi/activities/course",
            module: "http://adlnet.gov/expapi/activities/module",
          },
        },
        name: { "fr-FR": "{intitule} – {element}" },
      },
    },
    result: {
      score: { raw: { column: "note" }, min: 0, max: 20 },
      success: { column: "reussite", map: { oui: true, non: false } },
      duration: { column: "duree", unit: "iso" },
    },
    context: {
      registration: { uuidOf: ["num_stagiaire", "session"] },
      platform: "AFPRO Centre",
      language: "fr-FR",
      contextActivities: {
        parent: [{ id: `${TRAINING_URL}/sessions/{session}/formation` }],
        other: [
          {
            id: `${FRAMEWORKS.training.scheme}/{code_competence}`,
            definition: { type: "https://w3id.org/xapi/tla/activity-types/competency" },
          },
        ],
      },
      extensions: attributeMapping(),
    },
    timestamp: { column: "date", format: "DD/MM/YYYY HH:mm", timeZone: "Europe/Paris" },
  };
  return {
    provider: "training",
    name: "AFPRO (vocational training centre)",
    format: "csv",
    input: "training/export.csv",
    config: "training/mapping.json",
    identifier: { kind: "email", agent: "mbox" },
    roster,
    records: rows.length,
    files: [
      {
        path: "training/export.csv",
        content: csvText(
          HEADER,
          rows.map((r) => r.cells),
          ";",
        ),
      },
      { path: "training/mapping.json", content: json(mapping) },
      rosterFile("training/roster.csv", roster, "email"),
    ],
  };
}
