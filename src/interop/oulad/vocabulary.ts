/** The xAPI terms the OULAD converter emits: verbs, activity types, and Learnpool's own extensions. */

export const VERBS = {
  registered: { id: "http://adlnet.gov/expapi/verbs/registered", display: { "en-US": "registered" } },
  unregistered: { id: "http://id.tincanapi.com/verb/unregistered", display: { "en-US": "unregistered" } },
  submitted: { id: "http://activitystrea.ms/schema/1.0/submit", display: { "en-US": "submitted" } },
  scored: { id: "http://adlnet.gov/expapi/verbs/scored", display: { "en-US": "scored" } },
  interacted: { id: "http://adlnet.gov/expapi/verbs/interacted", display: { "en-US": "interacted" } },
  completed: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
} as const;

export type VerbName = keyof typeof VERBS;

export const ACTIVITY_TYPES = {
  course: "http://adlnet.gov/expapi/activities/course",
  assessment: "http://adlnet.gov/expapi/activities/assessment",
  resource: "http://id.tincanapi.com/activitytype/resource",
  page: "http://activitystrea.ms/schema/1.0/page",
  link: "http://adlnet.gov/expapi/activities/link",
  discussion: "http://id.tincanapi.com/activitytype/discussion",
  survey: "http://id.tincanapi.com/activitytype/survey",
  webinar: "http://id.tincanapi.com/activitytype/webinar",
} as const;

/**
 * OULAD's VLE `activity_type` (the OU's Moodle-based VLE) → an activity type of a public vocabulary.
 * The original value is kept in the activity's `vle-activity-type` extension; an unknown one is a resource.
 */
export const VLE_ACTIVITY_TYPES: Record<string, string> = {
  resource: ACTIVITY_TYPES.resource,
  glossary: ACTIVITY_TYPES.resource,
  folder: ACTIVITY_TYPES.resource,
  dataplus: ACTIVITY_TYPES.resource,
  ouwiki: ACTIVITY_TYPES.resource,
  repeatactivity: ACTIVITY_TYPES.resource,
  htmlactivity: ACTIVITY_TYPES.resource,
  oucontent: ACTIVITY_TYPES.page,
  page: ACTIVITY_TYPES.page,
  subpage: ACTIVITY_TYPES.page,
  sharedsubpage: ACTIVITY_TYPES.page,
  homepage: ACTIVITY_TYPES.page,
  dualpane: ACTIVITY_TYPES.page,
  url: ACTIVITY_TYPES.link,
  forumng: ACTIVITY_TYPES.discussion,
  quiz: ACTIVITY_TYPES.assessment,
  externalquiz: ACTIVITY_TYPES.assessment,
  questionnaire: ACTIVITY_TYPES.survey,
  oucollaborate: ACTIVITY_TYPES.webinar,
  ouelluminate: ACTIVITY_TYPES.webinar,
};

const BASE = "https://w3id.org/learnpool/interop/oulad/";

export const EXTENSIONS = {
  /** context: the day of the event relative to the presentation's start, as OULAD gives it. */
  day: `${BASE}presentation-day`,
  /** context: the assessment result was transferred from an earlier presentation (is_banked). */
  banked: `${BASE}banked`,
  /** result: the number of clicks of a student on a VLE site that day (sum_click). */
  clicks: `${BASE}clicks`,
  /** result: the final result of the presentation: Pass, Distinction or Fail. */
  finalResult: `${BASE}final-result`,
  /** activity definition: TMA (tutor-marked), CMA (computer-marked) or Exam. */
  assessmentType: `${BASE}assessment-type`,
  /** activity definition: the weight of the assessment in %. */
  weight: `${BASE}weight`,
  /** activity definition: OULAD's activity_type of a VLE site (resource, oucontent, forumng…). */
  vleActivityType: `${BASE}vle-activity-type`,
} as const;

/** studentInfo's demographic columns, carried only under the `attributes: true` setting. */
export const ATTRIBUTE_COLUMNS = [
  "gender",
  "region",
  "highest_education",
  "imd_band",
  "age_band",
  "num_of_prev_attempts",
  "studied_credits",
  "disability",
] as const;

export type AttributeColumn = (typeof ATTRIBUTE_COLUMNS)[number];

/** context of the registration statement: one extension per demographic column, its value as OULAD gives it. */
export const ATTRIBUTE_EXTENSIONS = Object.fromEntries(
  ATTRIBUTE_COLUMNS.map((column) => [column, `${BASE}attributes/${column.replaceAll("_", "-")}`]),
) as Record<AttributeColumn, string>;
