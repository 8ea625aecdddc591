/**
 * The ADL xAPI SCORM Profile's terms (github.com/adlnet/xAPI-SCORM-Profile): its verbs, activity types,
 * profile category activity, and the SCORM 2004 (4th edition) run-time data model elements this converter
 * reads, with the vocabularies SCORM allows for them.
 */

const ADL = "http://adlnet.gov/expapi/verbs/";
const ACT = "http://adlnet.gov/expapi/activities/";

export const VERBS = {
  initialized: `${ADL}initialized`,
  resumed: `${ADL}resumed`,
  suspended: `${ADL}suspended`,
  terminated: `${ADL}terminated`,
  completed: `${ADL}completed`,
  passed: `${ADL}passed`,
  failed: `${ADL}failed`,
  scored: `${ADL}scored`,
  progressed: `${ADL}progressed`,
  commented: `${ADL}commented`,
  /** The profile's verb for cmi.interactions (§6.0 "Interactions"). */
  responded: `${ADL}responded`,
  /** Offered for LRSs and reports that expect ADL `answered` for question responses (configurable). */
  answered: `${ADL}answered`,
} as const;

export const ACTIVITY_TYPES = {
  course: `${ACT}course`,
  sco: `${ACT}lesson`,
  attempt: `${ACT}attempt`,
  interaction: `${ACT}cmi.interaction`,
  objective: `${ACT}objective`,
} as const;

/**
 * The profile activity every statement carries in `contextActivities.category`. The profile's current
 * examples use this w3id IRI; its older text used `http://adlnet.gov/xapi/profile/scorm`.
 */
export const SCORM_PROFILE = "https://w3id.org/xapi/scorm";

/** SCORM 2004 `cmi.interactions.n.type` values; xAPI's interactionType vocabulary is the same. */
export const INTERACTION_TYPES: ReadonlySet<string> = new Set([
  "true-false",
  "choice",
  "fill-in",
  "long-fill-in",
  "likert",
  "matching",
  "performance",
  "sequencing",
  "numeric",
  "other",
]);

export const COMPLETION_STATUS = new Set(["completed", "incomplete", "not attempted", "unknown"]);
export const SUCCESS_STATUS = new Set(["passed", "failed", "unknown"]);
export const EXIT = new Set(["timeout", "suspend", "logout", "normal", ""]);
export const ENTRY = new Set(["ab-initio", "resume", ""]);
export const INTERACTION_RESULTS = new Set(["correct", "incorrect", "unanticipated", "neutral"]);

/**
 * SCORM 2004 elements that report no learning experience: the profile keeps them in the Activity State,
 * Activity Profile or Agent Profile documents, not in statements. They are accepted and not mapped.
 */
export const DOCUMENT_ELEMENTS: readonly RegExp[] = [
  /^cmi\._version$/,
  /^cmi\.(credit|mode|location|suspend_data|launch_data|learner_id|learner_name|max_time_allowed)$/,
  /^cmi\.(time_limit_action|total_time|completion_threshold|scaled_passing_score)$/,
  /^cmi\.learner_preference\.(audio_level|language|delivery_speed|audio_captioning|_children)$/,
  /^cmi\.comments_from_lms\.(\d+\.(comment|location|timestamp)|_count|_children)$/,
  /^cmi\.(comments_from_learner|interactions|objectives)\.(_count|_children)$/,
  /^cmi\.score\._children$/,
  /^cmi\.objectives\.\d+\.(description|score\._children)$/,
  /^cmi\.interactions\.\d+\.(objectives\.(_count|\d+\.id)|correct_responses\._count)$/,
];

/** The elements this converter maps to statements. */
export const REPORTED_ELEMENTS: readonly RegExp[] = [
  /^cmi\.(completion_status|success_status|progress_measure|session_time|exit|entry)$/,
  /^cmi\.score\.(scaled|raw|min|max)$/,
  /^cmi\.comments_from_learner\.\d+\.(comment|location|timestamp)$/,
  /^cmi\.objectives\.\d+\.(id|success_status|completion_status|progress_measure)$/,
  /^cmi\.objectives\.\d+\.score\.(scaled|raw|min|max)$/,
  /^cmi\.interactions\.\d+\.(id|type|timestamp|weighting|learner_response|result|latency|description)$/,
  /^cmi\.interactions\.\d+\.correct_responses\.\d+\.pattern$/,
];
