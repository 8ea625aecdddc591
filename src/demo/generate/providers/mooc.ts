/**
 * The MOOC platform (Savoirs Ouverts, on Open edX): its tracking log, one JSON event per line as the LMS
 * writes it (`event_type`, `time`, `event` — a JSON string for browser events, an object for server
 * ones), read by the `edx` converter with `trackingLog: true`. A session opens the outline, watches a
 * video (play, pause, sometimes a seek); assessment weeks add a graded `problem_check`; enrolment,
 * unenrolment and the passing grade are server events. The LMS's external ids, exported into the
 * converter's `anonymousIds`, are the e-mail each learner registered with, so that learners can be linked.
 */
import { createHash } from "node:crypto";
import {
  byKey,
  enrolmentsAt,
  json,
  type ProviderData,
  type RosterEntry,
  rosterFile,
  sessionTimes,
  typedEmail,
} from "../common.js";
import { ascii } from "../names.js";
import { type Population, PROVIDER_PROFILES } from "../population.js";
import type { Rng } from "../random.js";
import { conceptIri, FRAMEWORKS } from "../skills.js";

export const MOOC_URL = "https://mooc.savoirs-ouverts.example";
const HOST = "mooc.savoirs-ouverts.example";
const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
  "edX/org.edx.mobile/4.2.0 (Android 14)",
];

/** A block's 32-hex id, stable for its course and name (as Studio's would be). */
const hashes = new Map<string, string>();
function blockHash(course: string, name: string): string {
  const key = `${course}/${name}`;
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = createHash("md5").update(key).digest("hex");
    hashes.set(key, hash);
  }
  return hash;
}

const blockKey = (course: string, type: string, name: string): string =>
  `block-v1:${course.slice("course-v1:".length)}+type@${type}+block@${blockHash(course, name)}`;

const WEEK_TITLES = [
  "Premiers pas en Python",
  "Types et structures",
  "Lire des données",
  "Nettoyer des données",
  "Agréger",
  "Visualiser",
  "Statistiques",
  "Projet final",
];

export function moocPlatform(population: Population, rng: Rng): ProviderData {
  const learners = byKey(population.learners);
  const events: { time: number; line: string }[] = [];
  const roster: RosterEntry[] = [];
  const anonymousIds: Record<string, string> = {};
  const usernames = new Set<string>();
  let userId = 1000;
  const courseNames: Record<string, string> = {};

  for (const enrolment of enrolmentsAt(population.enrolments, "mooc")) {
    const learner = learners.get(enrolment.learner)!;
    const course = enrolment.course;
    courseNames[course] = "Analyser des données avec Python";
    let username = `${ascii(learner.givenName)}_${ascii(learner.familyName).slice(0, 1)}${rng.int(1, 99)}`;
    while (usernames.has(username)) username = `${username}${rng.int(0, 9)}`;
    usernames.add(username);
    const id = ++userId;
    // Students register with their university address, others with their own; as they typed it.
    const email = typedEmail(rng, learner.universityEmail ?? learner.email);
    anonymousIds[username] = email;
    roster.push({
      localId: username,
      givenName: learner.givenName,
      familyName: learner.familyName,
      identifier: email,
      learner: learner.key,
    });
    const agent = rng.pick(AGENTS);
    // A browser session id per visit, 32 hex digits as Django's.
    let session = "";
    const newSession = () => {
      session = [0, 1, 2, 3]
        .map(() =>
          Math.floor(rng.float() * 2 ** 32)
            .toString(16)
            .padStart(8, "0"),
        )
        .join("");
    };
    // The line is assembled from this learner's fixed JSON parts: 20,000 events built as objects then
    // serialized cost more in garbage collection than the generation itself.
    const contextHead = JSON.stringify({
      course_id: course,
      org_id: "SavoirsOuverts",
      user_id: id,
      username,
      host: HOST,
      agent,
      accept_language: "fr-FR,fr;q=0.9,en;q=0.8",
    }).slice(0, -1);
    const userJson = JSON.stringify(username);
    const head = (time: number, name: string, source: string) =>
      `{"name":"${name}","event_type":"${name}","event_source":"${source}","username":${userJson},"time":"${new Date(time).toISOString()}","context":${contextHead},"event_source":"${source}"`;
    const server = (
      time: number,
      name: string,
      data: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) => {
      const more = JSON.stringify(extra).slice(1, -1);
      events.push({
        time,
        line: `${head(time, name, "server")}${more && `,${more}`}},"event":${JSON.stringify(data)},"page":null}`,
      });
    };
    const browser = (time: number, name: string, data: Record<string, unknown>, page: string) => {
      const pageJson = JSON.stringify(page);
      events.push({
        time,
        line: `${head(time, name, "browser")},"path":"/event","page":${pageJson},"session":"${session}"},"event":${JSON.stringify(JSON.stringify(data))},"page":${pageJson}}`,
      });
    };
    const start =
      Date.parse(`${enrolment.start}T06:00:00Z`) - rng.int(1, 10) * 86_400_000 + rng.int(0, 14 * 3_600_000);
    const mode = rng.chance(0.2) ? "verified" : "audit";
    server(
      start,
      "edx.course.enrollment.activated",
      { course_id: course, user_id: id, mode },
      { path: "/change_enrollment" },
    );
    const problems = new Map(enrolment.assessments.map((a) => [a.week, a]));
    const outline = `${MOOC_URL}/courses/${course}/course/`;
    let last = start;
    for (let week = 0; week < enrolment.weeks; week++) {
      const times = sessionTimes(rng, enrolment.start, week, enrolment.activity[week]!);
      times.forEach((time, s) => {
        newSession();
        const sequence = blockKey(course, "sequential", `week${week + 1}`);
        browser(
          time,
          "edx.ui.lms.outline.selected",
          {
            current_url: outline,
            target_name: `Semaine ${week + 1} : ${WEEK_TITLES[week % WEEK_TITLES.length]}`,
            target_url: `${MOOC_URL}/courses/${course}/jump_to/${sequence}`,
            widget_placement: "accordion",
          },
          outline,
        );
        const video = blockHash(course, `video-w${week + 1}-${s % 2}`);
        const duration = 240 + (Number.parseInt(video.slice(0, 4), 16) % 360);
        const page = `${MOOC_URL}/courses/${course}/courseware/week${week + 1}/`;
        let t = time + rng.int(20, 90) * 1000;
        browser(t, "play_video", { id: video, code: "html5", currentTime: 0, duration }, page);
        // Watched part of it: the more motivated watch more.
        const watched = Math.min(duration, Math.round(duration * (0.3 + 0.7 * rng.float())));
        if (rng.chance(0.3)) {
          const from = Math.round(watched * 0.4);
          t += from * 1000;
          browser(
            t,
            "seek_video",
            {
              id: video,
              code: "html5",
              old_time: from,
              new_time: Math.min(duration, from + 30),
              type: "onSlideSeek",
              duration,
            },
            page,
          );
        }
        t += watched * 1000;
        browser(t, "pause_video", { id: video, code: "html5", currentTime: watched, duration }, page);
        const problem = problems.get(week);
        if (problem && s === times.length - 1) {
          t += rng.int(120, 900) * 1000;
          const key = blockKey(course, "problem", `quiz-w${week + 1}`);
          const input = `${blockHash(course, `quiz-w${week + 1}`)}_2_1`;
          const maxGrade = 10;
          const grade = Math.round(problem.score * maxGrade);
          const correct = grade >= maxGrade / 2;
          const answer = correct ? "choice_1" : rng.pick(["choice_0", "choice_2", "choice_3"]);
          const correctness = {
            answervariable: null,
            correctness: correct ? "correct" : "incorrect",
            hint: "",
            hintmode: null,
            msg: "",
            npoints: null,
            queuestate: null,
          };
          server(
            t,
            "problem_check",
            {
              answers: { [input]: answer },
              attempts: rng.int(1, 3),
              correct_map: { [input]: correctness },
              grade,
              max_grade: maxGrade,
              problem_id: key,
              state: {
                correct_map: {},
                done: null,
                input_state: { [input]: {} },
                seed: 1,
                student_answers: {},
              },
              submission: {
                [input]: {
                  answer: `Réponse ${answer.slice(-1)}`,
                  correct,
                  group_label: "",
                  input_type: "choicegroup",
                  question: `Quiz de la semaine ${week + 1}`,
                  response_type: "multiplechoiceresponse",
                  variant: "",
                },
              },
              success: correct ? "correct" : "incorrect",
            },
            {
              module: { display_name: `Quiz semaine ${week + 1}`, usage_key: key },
              path: `/courses/${course}/xblock/${key}/handler/xmodule_handler/problem_check`,
            },
          );
        }
        last = Math.max(last, t);
      });
    }
    if (enrolment.withdrew && enrolment.dropWeek !== undefined) {
      const time =
        Date.parse(`${enrolment.start}T00:00:00Z`) +
        (enrolment.dropWeek * 7 + rng.int(0, 6)) * 86_400_000 +
        rng.int(8, 20) * 3_600_000;
      server(
        Math.max(time, last + 60_000),
        "edx.course.enrollment.deactivated",
        { course_id: course, user_id: id, mode },
        { path: "/change_enrollment" },
      );
    }
    if (enrolment.outcome === "passed") {
      server(last + rng.int(5, 60) * 1000, "edx.course.grade.passed.first_time", {
        course_id: course,
        user_id: id,
      });
    }
  }
  // The log is in time order, as the LMS appends it.
  events.sort((a, b) => a.time - b.time);
  const config = {
    platformUrl: MOOC_URL,
    transformerVersion: "event-routing-backends@9.3.0",
    courseNames,
    anonymousIds,
    trackingLog: true,
  };
  return {
    provider: "mooc",
    name: "Savoirs Ouverts (MOOC, Open edX)",
    format: "edx",
    input: "mooc/tracking.log",
    config: "mooc/edx.json",
    identifier: { kind: "email", agent: "account", homePage: MOOC_URL },
    roster,
    records: events.length,
    files: [
      { path: "mooc/tracking.log", content: events.map((e) => `${e.line}\n`).join("") },
      { path: "mooc/edx.json", content: json(config) },
      rosterFile("mooc/roster.csv", roster, "email"),
      { path: "mooc/skills/activities.json", content: json(skillTags()) },
    ],
  };
}

/**
 * The course team's tagging of each graded problem with a skill of the platform's framework (Open edX
 * events carry none): the k-th problem assesses the k-th skill, as the population drew it.
 */
function skillTags(): { activity: string; competency: string }[] {
  const { runs, assessmentWeeks } = PROVIDER_PROFILES.mooc;
  const concepts = FRAMEWORKS.mooc.concepts;
  return runs.flatMap(({ course }) =>
    assessmentWeeks.map((week, k) => ({
      activity: `${MOOC_URL}/xblock/${blockKey(course, "problem", `quiz-w${week + 1}`)}`,
      competency: conceptIri("mooc", concepts[k % concepts.length]!.code),
    })),
  );
}
