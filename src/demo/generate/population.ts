/**
 * The seeded population of the demonstration data space: learners with realistic attributes, their
 * enrolments at providers (with the declared overlaps), and each enrolment's engagement trajectory.
 * This is the ground truth the providers' native files are generated from; it is never exported as
 * such (providers only see what they would hold).
 *
 * The model, in short: every learner has a latent motivation; a provider has its own activity level,
 * assessment difficulty and dropout propensity; a learner who drops out has activity that declines
 * over the weeks before the last one; scores follow motivation minus difficulty; job seekers who
 * trained find employment months later more often when they completed and were motivated.
 */
import { ascii, FAMILY_NAMES, GIVEN_NAMES, REGION_WEIGHTS, REGIONS, SCHOOLS } from "./names.js";
import { Rng, sigmoid } from "./random.js";
import { FRAMEWORKS, type SkilledProvider } from "./skills.js";

export type ProviderId = "school" | "reading" | "mooc" | "university" | "training" | "employment";
export const PROVIDER_IDS: readonly ProviderId[] = [
  "school",
  "reading",
  "mooc",
  "university",
  "training",
  "employment",
];

/** Course-giving providers with trajectories (the school reports terms; the employment service, outcomes). */
export type CourseProvider = SkilledProvider;

export type Segment = "pupil" | "student" | "adult";
export type Gender = "F" | "M" | "X";

export interface Guardian {
  givenName: string;
  familyName: string;
  email: string;
  relation: "mother" | "father" | "guardian";
}

export interface Learner {
  /** Ground-truth key (`L0001`), for tests and evaluation only: no provider holds it. */
  key: string;
  givenName: string;
  familyName: string;
  gender: Gender;
  /** `YYYY-MM`. */
  birth: string;
  /** Age on the reference date (the start of the school year). */
  age: number;
  ageBand: string;
  region: string;
  segment: Segment;
  minor: boolean;
  /** Personal e-mail, lower case. */
  email: string;
  /** University e-mail, for students. */
  universityEmail?: string;
  /** French national student id, for pupils and students. */
  ine?: string;
  school?: { name: string; grade: string };
  guardian?: Guardian;
  /** Latent motivation, standard normal: drives activity, scores, dropout and employment. */
  motivation: number;
}

export interface Assessment {
  /** Week of the course (0-based). */
  week: number;
  /** The assessed item's code within the course. */
  item: string;
  /** Code of the assessed skill in the provider's own framework. */
  skill: string;
  /** Score in [0, 1]. */
  score: number;
}

export interface Enrolment {
  learner: string;
  provider: CourseProvider;
  course: string;
  /** The course's first day, `YYYY-MM-DD` (a Monday). */
  start: string;
  weeks: number;
  /** Sessions per week (0 once the learner stopped). */
  activity: number[];
  /** The first week with no activity any more, for a dropout. */
  dropWeek?: number;
  /** A dropout who formally withdrew (unenrolled) at dropWeek, rather than vanishing. */
  withdrew: boolean;
  assessments: Assessment[];
  outcome: "passed" | "failed" | "dropped";
  /** Mean assessment score, in [0, 1], when any. */
  finalScore?: number;
}

/** A job seeker's path at the public employment service. */
export interface EmploymentPath {
  learner: string;
  registered: string;
  /** The training followed (a training-centre enrolment), when any. */
  training?: { course: string; start: string; end: string; completed: boolean };
  /** Employment found, months after the training's end (or the registration). */
  employment?: { date: string; contract: "CDI" | "CDD" | "intérim"; monthsAfter: number };
}

/** How each course-giving provider differs: what a week of it looks like, how hard, how many leave. */
export interface ProviderProfile {
  weeks: number;
  /** Mean sessions per week of an average learner. */
  activity: number;
  /** Assessment difficulty on the logit scale (higher: lower scores). */
  difficulty: number;
  /** Dropout propensity on the logit scale for an average learner. */
  dropout: number;
  /** Weeks with an assessment. */
  assessmentWeeks: number[];
  /** Course codes and start dates (several runs). */
  runs: { course: string; start: string }[];
}

export const PROVIDER_PROFILES: Record<CourseProvider, ProviderProfile> = {
  reading: {
    weeks: 16,
    activity: 3,
    difficulty: -0.6,
    dropout: -1.5,
    assessmentWeeks: [2, 4, 6, 8, 10, 12, 14],
    runs: [
      { course: "le-petit-prince", start: "2025-09-08" },
      { course: "les-miserables-extraits", start: "2025-09-15" },
    ],
  },
  mooc: {
    weeks: 8,
    activity: 4,
    difficulty: 0.3,
    dropout: 0.4,
    assessmentWeeks: [1, 2, 3, 4, 5, 6, 7],
    runs: [
      { course: "course-v1:SavoirsOuverts+PYDATA101+2025_T3", start: "2025-10-06" },
      { course: "course-v1:SavoirsOuverts+PYDATA101+2026_T1", start: "2026-01-12" },
    ],
  },
  university: {
    weeks: 12,
    activity: 2.5,
    difficulty: 0.1,
    dropout: -1.3,
    assessmentWeeks: [3, 6, 9, 11],
    runs: [{ course: "STAT1", start: "2025-09-15" }],
  },
  training: {
    weeks: 10,
    activity: 4.5,
    difficulty: -0.2,
    dropout: -1.2,
    assessmentWeeks: [3, 6, 9],
    runs: [
      { course: "ANUM-2025-09", start: "2025-09-22" },
      { course: "ANUM-2025-11", start: "2025-11-03" },
    ],
  },
};

/**
 * The overlaps the population is drawn with: shares of a segment enrolled at two providers.
 * School pupils use the reading app through their school; students take the MOOC beside the
 * university; adults train at the centre and/or take the MOOC; job seekers are at the employment service.
 */
export const OVERLAPS = {
  segments: { pupil: 0.3, student: 0.3, adult: 0.4 },
  /** Share of pupils using the reading app (the others are at school only). */
  schoolAndReading: 0.7,
  /** Share of students also on the MOOC. */
  universityAndMooc: 0.35,
  /** Share of adults at both the MOOC and the training centre. */
  moocAndTraining: 0.3,
  /** Share of adults at the training centre only (the rest: MOOC only). */
  trainingOnly: 0.35,
  /** Share of training-centre learners registered at the employment service as job seekers. */
  employmentAmongTrainees: 0.75,
  /** Share of MOOC-only adults registered as job seekers. */
  employmentAmongMoocOnly: 0.25,
} as const;

export interface Population {
  seed: number;
  /** The start of the school year every date is relative to. */
  reference: string;
  learners: Learner[];
  enrolments: Enrolment[];
  employment: EmploymentPath[];
}

export interface PopulationOptions {
  learners: number;
  seed: number;
}

export const DEFAULT_LEARNERS = 600;
export const DEFAULT_SEED = 2025;
const REFERENCE = "2025-09-01";
/** Weeks of steady decline before a dropout's last active week. */
export const DECLINE_WEEKS = 4;

const DAY = 86_400_000;
export const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

function ageBand(age: number): string {
  if (age < 15) return "11-14";
  if (age < 18) return "15-17";
  if (age < 26) return "18-25";
  if (age < 36) return "26-35";
  if (age < 51) return "36-50";
  return "51+";
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function generatePopulation(options: PopulationOptions): Population {
  const { learners: count, seed } = options;
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new Error(`demo generator: learners must be an integer from 1 to 1000000, got ${count}`);
  }
  const root = new Rng(seed);
  const people = root.fork("learners");
  const paths = root.fork("trajectories");
  const jobs = root.fork("employment");

  const learners: Learner[] = [];
  const enrolments: Enrolment[] = [];
  const employment: EmploymentPath[] = [];
  const emails = new Set<string>();
  const ines = new Set<string>();
  const refYear = Number(REFERENCE.slice(0, 4));

  const uniqueEmail = (local: string, domain: string): string => {
    let candidate = `${local}@${domain}`;
    for (let n = 2; emails.has(candidate); n++) candidate = `${local}${n}@${domain}`;
    emails.add(candidate);
    return candidate;
  };
  const newIne = (): string => {
    let ine: string;
    do {
      ine = `${String(people.int(0, 99_999)).padStart(5, "0")}${String(people.int(0, 99_999)).padStart(5, "0")}${people.pick([...LETTERS])}`;
    } while (ines.has(ine));
    ines.add(ine);
    return ine;
  };

  for (let i = 0; i < count; i++) {
    const key = `L${String(i + 1).padStart(4, "0")}`;
    const segment = people.weighted<Segment>([
      ["pupil", OVERLAPS.segments.pupil],
      ["student", OVERLAPS.segments.student],
      ["adult", OVERLAPS.segments.adult],
    ]);
    const gender = people.weighted<Gender>([
      ["F", 0.49],
      ["M", 0.49],
      ["X", 0.02],
    ]);
    const givenName = people.pick(GIVEN_NAMES[gender]);
    const familyName = people.pick(FAMILY_NAMES);
    const age =
      segment === "pupil"
        ? people.int(11, 17)
        : segment === "student"
          ? people.int(18, 24)
          : people.int(22, 58);
    // Born in the year that gives this age on the reference date, in any month.
    const month = people.int(1, 12);
    const birthYear = refYear - age - (month >= 9 ? 1 : 0);
    const region = people.weighted(REGIONS.map((r, k) => [r, REGION_WEIGHTS[k]!] as const));
    const local = `${ascii(givenName)}.${ascii(familyName)}`;
    const learner: Learner = {
      key,
      givenName,
      familyName,
      gender,
      birth: `${birthYear}-${String(month).padStart(2, "0")}`,
      age,
      ageBand: ageBand(age),
      region,
      segment,
      minor: age < 18,
      email: uniqueEmail(local, people.pick(["courriel.example", "mail.example", "webmail.example"])),
      motivation: people.normal(),
    };
    if (segment === "pupil") {
      learner.ine = newIne();
      learner.school = {
        name: people.pick(age <= 14 ? SCHOOLS.college : SCHOOLS.lycee),
        grade: age <= 14 ? `${6 - Math.min(3, age - 11)}e` : ["2de", "1re", "Tle"][Math.min(2, age - 15)]!,
      };
      const relation = people.weighted<Guardian["relation"]>([
        ["mother", 0.55],
        ["father", 0.4],
        ["guardian", 0.05],
      ]);
      const guardianGiven = people.pick(GIVEN_NAMES[relation === "father" ? "M" : "F"]);
      const guardianFamily = relation === "guardian" ? people.pick(FAMILY_NAMES) : familyName;
      learner.guardian = {
        givenName: guardianGiven,
        familyName: guardianFamily,
        relation,
        email: uniqueEmail(`${ascii(guardianGiven)}.${ascii(guardianFamily)}`, "courriel.example"),
      };
    }
    if (segment === "student") {
      learner.ine = newIne();
      learner.universityEmail = uniqueEmail(local, "etu.univ-exemple.example");
    }
    learners.push(learner);

    // Enrolments, with the declared overlaps.
    const at: CourseProvider[] = [];
    if (segment === "pupil" && people.chance(OVERLAPS.schoolAndReading)) at.push("reading");
    if (segment === "student") {
      at.push("university");
      if (people.chance(OVERLAPS.universityAndMooc)) at.push("mooc");
    }
    let trainee = false;
    let moocOnly = false;
    if (segment === "adult") {
      const r = people.float();
      if (r < OVERLAPS.moocAndTraining) at.push("mooc", "training");
      else if (r < OVERLAPS.moocAndTraining + OVERLAPS.trainingOnly) at.push("training");
      else at.push("mooc");
      trainee = at.includes("training");
      moocOnly = !trainee;
    }
    const own: Enrolment[] = at.map((provider) => enrol(paths, learner, provider));
    enrolments.push(...own);

    const jobSeeker =
      (trainee && people.chance(OVERLAPS.employmentAmongTrainees)) ||
      (moocOnly && people.chance(OVERLAPS.employmentAmongMoocOnly));
    if (jobSeeker)
      employment.push(
        employmentPath(
          jobs,
          learner,
          own.find((e) => e.provider === "training"),
        ),
      );
  }
  return { seed, reference: REFERENCE, learners, enrolments, employment };
}

/** One enrolment's trajectory: weekly activity, a possible dropout with its decline, scores, outcome. */
function enrol(rng: Rng, learner: Learner, provider: CourseProvider): Enrolment {
  const profile = PROVIDER_PROFILES[provider];
  const run = rng.pick(profile.runs);
  const { weeks } = profile;
  const m = learner.motivation;
  const drops = rng.chance(sigmoid(profile.dropout - 1.1 * m));
  // A dropout stops between the second week and two weeks before the end.
  const dropWeek = drops ? rng.int(2, weeks - 2) : undefined;
  const level = profile.activity * Math.exp(0.35 * m);
  const activity: number[] = [];
  for (let w = 0; w < weeks; w++) {
    let factor = 1;
    if (dropWeek !== undefined) {
      if (w >= dropWeek) factor = 0;
      // Linear decline over the weeks before the stop: engagement fades, it does not vanish at once.
      else if (w >= dropWeek - DECLINE_WEEKS) factor = (dropWeek - w) / (DECLINE_WEEKS + 1);
    }
    let sessions = factor === 0 ? 0 : rng.poisson(level * factor * (0.8 + 0.4 * rng.float()));
    // Everyone who enrolled came at least once in the first week.
    if (w === 0) sessions = Math.max(1, sessions);
    activity.push(sessions);
  }
  const ability = 0.8 * m + 0.5 * rng.normal();
  const skills = FRAMEWORKS[provider].concepts;
  const assessments: Assessment[] = [];
  profile.assessmentWeeks.forEach((week, k) => {
    if (dropWeek !== undefined && week >= dropWeek) return;
    // A learner near dropping out is less prepared.
    const fading = dropWeek !== undefined && week >= dropWeek - DECLINE_WEEKS ? 0.6 : 0;
    const score = sigmoid(ability - profile.difficulty - fading + 0.4 + 0.5 * rng.normal());
    assessments.push({
      week,
      item: `A${k + 1}`,
      skill: skills[k % skills.length]!.code,
      score: Math.round(score * 100) / 100,
    });
  });
  const finalScore =
    assessments.length > 0
      ? Math.round((assessments.reduce((s, a) => s + a.score, 0) / assessments.length) * 100) / 100
      : undefined;
  const outcome = dropWeek !== undefined ? "dropped" : (finalScore ?? 0) >= 0.5 ? "passed" : "failed";
  return {
    learner: learner.key,
    provider,
    course: run.course,
    start: run.start,
    weeks,
    activity,
    ...(dropWeek !== undefined && { dropWeek }),
    withdrew: dropWeek !== undefined && rng.chance(0.45),
    assessments,
    outcome,
    ...(finalScore !== undefined && { finalScore }),
  };
}

/** Registration, the training followed, and employment found months later (or not yet). */
function employmentPath(rng: Rng, learner: Learner, training: Enrolment | undefined): EmploymentPath {
  const base = training?.start ?? "2025-10-01";
  const path: EmploymentPath = { learner: learner.key, registered: addDays(base, -rng.int(14, 120)) };
  let from = path.registered;
  let p = sigmoid(-0.6 + 0.6 * learner.motivation - (learner.age > 50 ? 0.7 : 0));
  if (training) {
    const end = addDays(training.start, training.weeks * 7 - 3);
    const completed = training.outcome !== "dropped";
    path.training = { course: training.course, start: training.start, end, completed };
    from = end;
    // Completing a training helps, passing it more (the effect the impact study should find).
    p = sigmoid(
      -0.8 +
        0.6 * learner.motivation +
        (completed ? 0.7 : 0) +
        (training.outcome === "passed" ? 0.4 : 0) -
        (learner.age > 50 ? 0.7 : 0),
    );
  }
  if (rng.chance(p)) {
    const monthsAfter = rng.int(1, 9);
    path.employment = {
      date: addDays(from, monthsAfter * 30 + rng.int(0, 20)),
      contract: rng.weighted<"CDI" | "CDD" | "intérim">([
        ["CDI", 0.4],
        ["CDD", 0.4],
        ["intérim", 0.2],
      ]),
      monthsAfter,
    };
  }
  return path;
}
