/**
 * The reading-app edtech (LireLibre): digital textbooks read by school pupils, recorded by the app in
 * xAPI. A session reads a few pages (`read`, the page in its chapter and book, the reading progress),
 * then reports the progress through the book (`progressed`); chapter quizzes are `scored` against a
 * skill of the app's framework; a finished chapter or book is `completed`. Pupils are named by the INE
 * their school's directory gave the app (as the school typed it).
 */
import {
  byKey,
  enrolmentsAt,
  type ProviderData,
  type RosterEntry,
  rosterFile,
  sessionTimes,
  uuid5,
} from "../common.js";
import type { Population } from "../population.js";
import type { Rng } from "../random.js";
import { conceptIri } from "../skills.js";

export const READING_HOME = "https://www.lirelibre.example";
const INE_HOMEPAGE = `${READING_HOME}/ine`;
const NAMESPACE = "3c1f6a2e-8d4b-5e7a-9b0c-1d2e3f4a5b6c";
const CHAPTERS = 8;
const PAGES_PER_CHAPTER = 12;
const PAGES = CHAPTERS * PAGES_PER_CHAPTER;

const VERB = {
  read: { id: "http://activitystrea.ms/schema/1.0/read", display: { "fr-FR": "a lu", "en-US": "read" } },
  progressed: {
    id: "http://adlnet.gov/expapi/verbs/progressed",
    display: { "fr-FR": "a progressé", "en-US": "progressed" },
  },
  completed: {
    id: "http://adlnet.gov/expapi/verbs/completed",
    display: { "fr-FR": "a terminé", "en-US": "completed" },
  },
  scored: {
    id: "http://adlnet.gov/expapi/verbs/scored",
    display: { "fr-FR": "a obtenu", "en-US": "scored" },
  },
};
const TYPE = {
  book: "http://id.tincanapi.com/activitytype/book",
  chapter: "http://id.tincanapi.com/activitytype/chapter",
  page: "http://id.tincanapi.com/activitytype/page",
  quiz: "http://adlnet.gov/expapi/activities/assessment",
  competency: "https://w3id.org/xapi/tla/activity-types/competency",
};
/** Reading progress through the book, 0–100 (the cmi5 progress extension's meaning). */
const PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress";
const PAGE_NUMBER = `${READING_HOME}/xapi/extensions/page-number`;
const TITLES: Record<string, string> = {
  "le-petit-prince": "Le Petit Prince",
  "les-miserables-extraits": "Les Misérables (extraits)",
};

export function readingApp(population: Population, rng: Rng): ProviderData {
  const learners = byKey(population.learners);
  // Serialized as made: fewer live objects, less GC.
  const statements: string[] = [];
  const roster: RosterEntry[] = [];
  for (const enrolment of enrolmentsAt(population.enrolments, "reading")) {
    const learner = learners.get(enrolment.learner)!;
    // The school's directory sometimes passed the INE in lower case or with spaces.
    const r = rng.float();
    const ine = learner.ine!;
    const typed = r < 0.15 ? ine.toLowerCase() : r < 0.25 ? `${ine.slice(0, 5)} ${ine.slice(5)}` : ine;
    roster.push({
      localId: `eleve-${roster.length + 1}`,
      givenName: learner.givenName,
      familyName: learner.familyName,
      identifier: typed,
      learner: learner.key,
      ...(learner.guardian && {
        guardian: {
          givenName: learner.guardian.givenName,
          familyName: learner.guardian.familyName,
          email: learner.guardian.email,
        },
      }),
    });
    const actor = {
      objectType: "Agent",
      name: `${learner.givenName} ${learner.familyName}`,
      account: { homePage: INE_HOMEPAGE, name: typed },
    };
    const actorJson = JSON.stringify(actor);
    const bookId = `${READING_HOME}/livres/${enrolment.course}`;
    const book = {
      objectType: "Activity",
      id: bookId,
      definition: { type: TYPE.book, name: { "fr-FR": TITLES[enrolment.course] ?? enrolment.course } },
    };
    const chapter = (n: number) => ({
      objectType: "Activity",
      id: `${bookId}/chapitres/${n}`,
      definition: { type: TYPE.chapter, name: { "fr-FR": `Chapitre ${n}` } },
    });
    const registration = uuid5(`${typed}|${enrolment.course}`, NAMESPACE);
    const context = (chapterNumber: number) => ({
      registration,
      platform: "LireLibre",
      language: "fr-FR",
      contextActivities: { parent: [chapter(chapterNumber)], grouping: [book] },
    });
    let lastTime = 0;
    const emit = (time: number, statement: Record<string, unknown>) => {
      lastTime = time;
      const id = uuid5(`${typed}|${statements.length}|${time}`, NAMESPACE);
      statements.push(
        `{"id":"${id}","actor":${actorJson},${JSON.stringify(statement).slice(1, -1)},"timestamp":"${new Date(time).toISOString()}"}`,
      );
    };
    // Pages read so far: a motivated reader gets through the book in the course's weeks.
    let page = 0;
    const quizzes = new Map(enrolment.assessments.map((a) => [a.week, a]));
    for (let week = 0; week < enrolment.weeks; week++) {
      const times = sessionTimes(rng, enrolment.start, week, enrolment.activity[week]!);
      times.forEach((time, s) => {
        if (page >= PAGES) return;
        const pages = rng.int(1, 3);
        let t = time;
        for (let p = 0; p < pages && page < PAGES; p++) {
          page++;
          t += rng.int(60, 300) * 1000;
          const ch = Math.ceil(page / PAGES_PER_CHAPTER);
          emit(t, {
            verb: VERB.read,
            object: {
              objectType: "Activity",
              id: `${bookId}/pages/${page}`,
              definition: { type: TYPE.page, name: { "fr-FR": `Page ${page}` } },
            },
            result: {
              duration: `PT${rng.int(40, 280)}S`,
              extensions: { [PROGRESS]: Math.round((page / PAGES) * 100) },
            },
            context: { ...context(ch), extensions: { [PAGE_NUMBER]: page } },
          });
          if (page % PAGES_PER_CHAPTER === 0) {
            t += 1000;
            emit(t, {
              verb: VERB.completed,
              object: chapter(ch),
              result: { completion: true },
              context: {
                registration,
                platform: "LireLibre",
                language: "fr-FR",
                contextActivities: { parent: [book] },
              },
            });
          }
        }
        t += 2000;
        emit(t, {
          verb: VERB.progressed,
          object: book,
          result: { extensions: { [PROGRESS]: Math.round((page / PAGES) * 100) } },
          context: { registration, platform: "LireLibre", language: "fr-FR" },
        });
        const quiz = quizzes.get(week);
        if (quiz && s === times.length - 1) {
          t += rng.int(120, 600) * 1000;
          const ch = Math.max(1, Math.ceil(page / PAGES_PER_CHAPTER));
          emit(t, {
            verb: VERB.scored,
            object: {
              objectType: "Activity",
              id: `${bookId}/quiz/${quiz.item}`,
              definition: { type: TYPE.quiz, name: { "fr-FR": `Quiz ${quiz.item}` } },
            },
            result: {
              score: { scaled: quiz.score, raw: Math.round(quiz.score * 10), min: 0, max: 10 },
              success: quiz.score >= 0.5,
            },
            context: {
              ...context(ch),
              contextActivities: {
                parent: [chapter(ch)],
                grouping: [book],
                other: [
                  {
                    objectType: "Activity",
                    id: conceptIri("reading", quiz.skill),
                    definition: { type: TYPE.competency },
                  },
                ],
              },
            },
          });
        }
      });
    }
    if (page >= PAGES) {
      emit(lastTime + 5000, {
        verb: VERB.completed,
        object: book,
        result: { completion: true, extensions: { [PROGRESS]: 100 } },
        context: { registration, platform: "LireLibre", language: "fr-FR" },
      });
    }
  }
  return {
    provider: "reading",
    name: "LireLibre (reading app)",
    format: "xapi",
    input: "reading/statements.jsonl",
    identifier: { kind: "ine", agent: "account", homePage: INE_HOMEPAGE },
    roster,
    records: statements.length,
    files: [
      { path: "reading/statements.jsonl", content: statements.map((line) => `${line}\n`).join("") },
      rosterFile("reading/roster.csv", roster, "ine"),
    ],
  };
}
