/**
 * The university (Université d'Exemple, on Moodle): its `logstore_standard_log` rows, each with the
 * rows of the tables its event refers to (`{event, data}`, the `moodle` converter's JSON export form),
 * in log-id order. A session views the course, then a page or a file of the week; quizzes are
 * submitted with their question attempts and grades; assignments are submitted then graded by a
 * teacher; enrolments are made (and for withdrawals, deleted) by the registrar's office; the course is
 * completed by those who pass. Moodle lower-cases usernames: a student's is their INE in lower case;
 * the actors are the students' university e-mails (`send_mbox`), which the MOOC also knows.
 */
import {
  byKey,
  enrolmentsAt,
  json,
  type ProviderData,
  type RosterEntry,
  rosterFile,
  sessionTimes,
} from "../common.js";
import { type Population, PROVIDER_PROFILES } from "../population.js";
import type { Rng } from "../random.js";
import { conceptIri, FRAMEWORKS } from "../skills.js";

export const UNIVERSITY_URL = "https://moodle.univ-exemple.example";
type Row = Record<string, unknown>;

const SITE = { id: 1, fullname: "Moodle de l'Université d'Exemple", shortname: "site", lang: "fr" };
const COURSE_ID = 7;
const REGISTRAR = {
  id: 2,
  firstname: "Service",
  lastname: "Scolarité",
  username: "scolarite",
  email: "scolarite@univ-exemple.example",
};
const TEACHER = {
  id: 3,
  firstname: "Hélène",
  lastname: "Marchand",
  username: "hmarchand",
  email: "helene.marchand@univ-exemple.example",
};
const MODULES = [
  { id: 1, name: "assign" },
  { id: 15, name: "page" },
  { id: 16, name: "quiz" },
  { id: 17, name: "resource" },
];
const TOPICS = [
  "Séries statistiques",
  "Représentations graphiques",
  "Moyenne et médiane",
  "Dispersion",
  "Quantiles",
  "Séries doubles",
  "Corrélation",
  "Régression linéaire",
  "Probabilités : bases",
  "Variables aléatoires",
  "Lois usuelles",
  "Révisions",
];

/** The course's structure: a section per week, a page and a file each, quizzes and assignments. */
function courseStructure(weeks: number, assessmentWeeks: readonly number[]) {
  const sections: Row[] = [];
  const courseModules: Row[] = [];
  const pages: Row[] = [];
  const resources: Row[] = [];
  const quizzes: Row[] = [];
  const assigns: Row[] = [];
  const gradeItems: Row[] = [];
  const assessed = new Map<number, { cm: number; instance: number; kind: "quiz" | "assign" }>();
  for (let w = 0; w < weeks; w++) {
    const section = 70 + w;
    sections.push({
      id: section,
      course: COURSE_ID,
      section: w + 1,
      name: `Semaine ${w + 1} : ${TOPICS[w % TOPICS.length]}`,
    });
    pages.push({
      id: w + 1,
      name: `Cours : ${TOPICS[w % TOPICS.length]}`,
      intro: "<p>À lire avant le TD.</p>",
    });
    resources.push({ id: w + 1, name: `TD ${w + 1} (PDF)`, intro: "" });
    courseModules.push({ id: 700 + w * 10 + 1, course: COURSE_ID, module: 15, instance: w + 1, section });
    courseModules.push({ id: 700 + w * 10 + 2, course: COURSE_ID, module: 17, instance: w + 1, section });
  }
  assessmentWeeks.forEach((week, k) => {
    // Alternate quizzes and assignments through the semester.
    const kind = k % 2 === 0 ? "quiz" : "assign";
    const instance = k + 1;
    const cm = 700 + week * 10 + 3;
    if (kind === "quiz") {
      quizzes.push({ id: instance, name: `Quiz ${k + 1}` });
      gradeItems.push({
        id: 60 + instance,
        itemmodule: "quiz",
        iteminstance: instance,
        grademin: 0,
        grademax: 20,
        gradepass: 10,
      });
    } else {
      assigns.push({ id: instance, name: `Devoir ${k + 1}` });
      gradeItems.push({
        id: 80 + instance,
        itemmodule: "assign",
        iteminstance: instance,
        grademin: 0,
        grademax: 20,
        gradepass: 10,
      });
    }
    courseModules.push({
      id: cm,
      course: COURSE_ID,
      module: kind === "quiz" ? 16 : 1,
      instance,
      section: 70 + week,
    });
    assessed.set(week, { cm, instance, kind });
  });
  return { sections, courseModules, pages, resources, quizzes, assigns, gradeItems, assessed };
}

export function university(population: Population, rng: Rng): ProviderData {
  const learners = byKey(population.learners);
  const enrolments = enrolmentsAt(population.enrolments, "university");
  const weeks = enrolments[0]?.weeks ?? 12;
  const structure = courseStructure(weeks, PROVIDER_PROFILES.university.assessmentWeeks);
  const course = {
    id: COURSE_ID,
    fullname: "Statistique descriptive",
    shortname: "STAT1",
    idnumber: "L1-MIASHS-STAT1",
    lang: "fr",
  };
  const coursesJson = JSON.stringify([SITE, course]);
  // Each record carries only the rows its event refers to, as the database reader would fetch them.
  const moduleRowsOf = new Map(
    structure.courseModules.map((cm) => [
      cm.id as number,
      {
        modules: MODULES.filter((m) => m.id === cm.module),
        course_modules: [cm],
        course_sections: structure.sections.filter((sec) => sec.id === cm.section),
      },
    ]),
  );
  const moduleRows = (cmid: number) => moduleRowsOf.get(cmid)!;
  // Serialized as made (the id, known once sorted, is spliced in front): fewer live objects, less GC.
  const events: { time: number; event: string; data: string }[] = [];
  const roster: RosterEntry[] = [];
  let nextUserEnrolment = 500;
  let nextAttempt = 900;
  let nextGrade = 4000;

  enrolments.forEach((enrolment, index) => {
    const learner = learners.get(enrolment.learner)!;
    const user = {
      id: 100 + index,
      firstname: learner.givenName,
      lastname: learner.familyName,
      username: learner.ine!.toLowerCase(),
      idnumber: `2025${String(10_000 + index * 7).padStart(5, "0")}`,
      email: learner.universityEmail!,
    };
    roster.push({
      localId: String(user.idnumber),
      givenName: learner.givenName,
      familyName: learner.familyName,
      identifier: user.email,
      learner: learner.key,
    });
    const base = (time: number, fields: Row): Row => ({
      eventname: "",
      component: "core",
      action: "",
      target: "",
      objecttable: null,
      objectid: null,
      crud: "r",
      edulevel: 2,
      contextid: 30 + COURSE_ID,
      contextlevel: 50,
      contextinstanceid: COURSE_ID,
      userid: user.id,
      courseid: COURSE_ID,
      relateduserid: null,
      anonymous: 0,
      other: null,
      timecreated: Math.floor(time / 1000),
      origin: "web",
      realuserid: null,
      ...fields,
    });
    // The rows every record of this student repeats are serialized once.
    const userJson = JSON.stringify([user]);
    const push = (time: number, fields: Row, data: Record<string, Row[]> = {}) => {
      const { user: users, ...tables } = data;
      const rest = JSON.stringify(tables).slice(1, -1);
      events.push({
        time,
        event: JSON.stringify(base(time, fields)),
        data: `{"course":${coursesJson},"user":${users ? JSON.stringify(users) : userJson}${rest && `,${rest}`}}`,
      });
    };

    const ue = ++nextUserEnrolment;
    const enrolTime =
      Date.parse(`${enrolment.start}T07:00:00Z`) - rng.int(2, 12) * 86_400_000 + rng.int(0, 3_600_000);
    const enrolFields = {
      component: "core",
      action: "created",
      target: "user_enrolment",
      objecttable: "user_enrolments",
      objectid: ue,
      crud: "c",
      edulevel: 0,
      userid: REGISTRAR.id,
      relateduserid: user.id,
      other: JSON.stringify({ enrol: "manual" }),
    };
    push(
      enrolTime,
      { ...enrolFields, eventname: "\\core\\event\\user_enrolment_created" },
      { user: [user, REGISTRAR] },
    );
    let last = enrolTime;
    for (let week = 0; week < enrolment.weeks; week++) {
      const times = sessionTimes(rng, enrolment.start, week, enrolment.activity[week]!);
      times.forEach((time, s) => {
        push(time, { eventname: "\\core\\event\\course_viewed", action: "viewed", target: "course" });
        // The week's page, or its worksheet, or (catching up) the previous week's.
        const w = s > 0 && week > 0 && rng.chance(0.3) ? week - 1 : week;
        const page = rng.chance(0.6);
        const t = time + rng.int(30, 300) * 1000;
        const instance = w + 1;
        const cmid = 700 + w * 10 + (page ? 1 : 2);
        push(
          t,
          {
            eventname: page
              ? "\\mod_page\\event\\course_module_viewed"
              : "\\mod_resource\\event\\course_module_viewed",
            component: page ? "mod_page" : "mod_resource",
            action: "viewed",
            target: "course_module",
            objecttable: page ? "page" : "resource",
            objectid: instance,
            contextinstanceid: cmid,
          },
          {
            ...moduleRows(cmid),
            ...(page ? { page: [structure.pages[w]!] } : { resource: [structure.resources[w]!] }),
          },
        );
        last = Math.max(last, t);
      });
      const assessment = enrolment.assessments.find((a) => a.week === week);
      const slot = structure.assessed.get(week);
      if (assessment && slot) {
        const time =
          (times.at(-1) ?? Date.parse(`${enrolment.start}T12:00:00Z`) + week * 7 * 86_400_000) +
          rng.int(600, 3_600) * 1000;
        const grade = Math.round(assessment.score * 20 * 2) / 2;
        if (slot.kind === "quiz") {
          const attempt = ++nextAttempt;
          const started = time - rng.int(8, 25) * 60_000;
          const item = structure.gradeItems.find(
            (g) => g.itemmodule === "quiz" && g.iteminstance === slot.instance,
          )!;
          const right = grade >= 10;
          push(
            time,
            {
              eventname: "\\mod_quiz\\event\\attempt_submitted",
              component: "mod_quiz",
              action: "submitted",
              target: "attempt",
              objecttable: "quiz_attempts",
              objectid: attempt,
              crud: "u",
              contextinstanceid: slot.cm,
              relateduserid: user.id,
              other: JSON.stringify({ submitterid: user.id, quizid: slot.instance }),
            },
            {
              ...moduleRows(slot.cm),
              quiz: [structure.quizzes.find((q) => q.id === slot.instance)!],
              quiz_attempts: [
                {
                  id: attempt,
                  uniqueid: attempt + 10_000,
                  quiz: slot.instance,
                  userid: user.id,
                  state: "finished",
                  timestart: Math.floor(started / 1000),
                  timefinish: Math.floor(time / 1000),
                },
              ],
              grade_items: [item],
              grade_grades: [{ id: ++nextGrade, itemid: item.id, userid: user.id, rawgrade: grade }],
              question_attempts: [
                {
                  id: attempt * 10,
                  questionusageid: attempt + 10_000,
                  questionid: 40 + slot.instance,
                  responsesummary: right ? "Vrai" : "Faux",
                  rightanswer: "Vrai",
                },
              ],
              question: [
                {
                  id: 40 + slot.instance,
                  name: `Question ${slot.instance}`,
                  qtype: "truefalse",
                  questiontext: `<p>${TOPICS[week % TOPICS.length]} : l'affirmation est-elle vraie ?</p>`,
                },
              ],
              question_answers: [
                {
                  id: (40 + slot.instance) * 10 + 1,
                  question: 40 + slot.instance,
                  answer: "Vrai",
                  fraction: 1,
                },
                {
                  id: (40 + slot.instance) * 10 + 2,
                  question: 40 + slot.instance,
                  answer: "Faux",
                  fraction: 0,
                },
              ],
            },
          );
        } else {
          const submission = ++nextGrade;
          const assign = structure.assigns.find((a) => a.id === slot.instance)!;
          push(
            time,
            {
              eventname: "\\mod_assign\\event\\assessable_submitted",
              component: "mod_assign",
              action: "submitted",
              target: "assessable",
              objecttable: "assign_submission",
              objectid: submission,
              crud: "u",
              contextinstanceid: slot.cm,
              other: JSON.stringify({ submission_editable: false }),
            },
            { ...moduleRows(slot.cm), assign: [assign] },
          );
          const gradedAt = time + rng.int(2, 9) * 86_400_000;
          const gradeId = ++nextGrade;
          push(
            gradedAt,
            {
              eventname: "\\mod_assign\\event\\submission_graded",
              component: "mod_assign",
              action: "graded",
              target: "submission",
              objecttable: "assign_grades",
              objectid: gradeId,
              crud: "u",
              edulevel: 1,
              contextinstanceid: slot.cm,
              userid: TEACHER.id,
              relateduserid: user.id,
            },
            {
              ...moduleRows(slot.cm),
              user: [user, TEACHER],
              assign: [assign],
              assign_grades: [
                { id: gradeId, assignment: slot.instance, userid: user.id, grade, grader: TEACHER.id },
              ],
              grade_items: [
                structure.gradeItems.find(
                  (g) => g.itemmodule === "assign" && g.iteminstance === slot.instance,
                )!,
              ],
            },
          );
        }
        last = Math.max(last, time);
      }
    }
    if (enrolment.withdrew && enrolment.dropWeek !== undefined) {
      const time = Math.max(
        last + 86_400_000,
        Date.parse(`${enrolment.start}T09:00:00Z`) + (enrolment.dropWeek * 7 + rng.int(0, 4)) * 86_400_000,
      );
      push(
        time,
        { ...enrolFields, eventname: "\\core\\event\\user_enrolment_deleted", action: "deleted", crud: "d" },
        { user: [user, REGISTRAR] },
      );
    }
    if (enrolment.outcome === "passed") {
      const time =
        Date.parse(`${enrolment.start}T02:00:00Z`) + (enrolment.weeks * 7 + rng.int(1, 10)) * 86_400_000;
      push(time, {
        eventname: "\\core\\event\\course_completed",
        action: "completed",
        target: "course",
        objecttable: "course_completions",
        objectid: 3000 + index,
        crud: "u",
        edulevel: 0,
        relateduserid: user.id,
        other: JSON.stringify({ relateduserid: user.id }),
      });
    }
  });
  // Log ids follow time, as Moodle's auto-increment does.
  events.sort((a, b) => a.time - b.time);
  const lines = events.map((e, i) => `{"event":{"id":${100_000 + i},${e.event.slice(1)},"data":${e.data}}\n`);
  const config = {
    app_url: UNIVERSITY_URL,
    source_name: "Moodle",
    source_version: "4.4",
    source_lang: "fr",
    send_name: true,
    send_mbox: true,
  };
  return {
    provider: "university",
    name: "Université d'Exemple (Moodle)",
    format: "moodle",
    input: "university/logstore.jsonl",
    config: "university/moodle.json",
    identifier: { kind: "email", agent: "mbox" },
    roster,
    records: lines.length,
    files: [
      { path: "university/logstore.jsonl", content: lines.join("") },
      { path: "university/moodle.json", content: json(config) },
      rosterFile("university/roster.csv", roster, "email"),
      {
        path: "university/skills/activities.json",
        content: json(
          structure.courseModules
            .filter((cm) => cm.module === 16 || cm.module === 1)
            .map((cm, k) => ({
              activity: `${UNIVERSITY_URL}/mod/${cm.module === 16 ? "quiz" : "assign"}/view.php?id=${cm.id}`,
              // The k-th assessment assesses the k-th skill, as the population drew it.
              competency: conceptIri(
                "university",
                FRAMEWORKS.university.concepts[k % FRAMEWORKS.university.concepts.length]!.code,
              ),
            })),
        ),
      },
    ],
  };
}
