/**
 * ERB's problem_interaction_events.py: problem checks (server: evaluated, with the score; browser:
 * attempted), answers shown, hints displayed, problems completed and grades of submitted problems. A
 * server problem_check whose submission holds several questions becomes a GroupActivity statement and one
 * child statement per question that refers to it.
 */
import { ConversionError, type XapiStatement } from "../converter.js";
import { type EdxEvent, firstOf, getData, requireData } from "./event.js";
import { weightedResult } from "./grading.js";
import { pyJsonDumps, pyStr, pyTruthy } from "./python.js";
import { register } from "./registry.js";
import { activity, type EventScope, type Json, languageMap } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

/** Open edX response types to xAPI interaction types; anything else is "other". */
const INTERACTION_TYPES = new Map<string, string>([
  ["choiceresponse", "choice"],
  ["multiplechoiceresponse", "choice"],
  ["numericalresponse", "numeric"],
  ["stringresponse", "fill-in"],
  ["customresponse", "other"],
  ["coderesponse", "other"],
  ["externalresponse", "other"],
  ["formularesponse", "fill-in"],
  ["schematicresponse", "other"],
  ["imageresponse", "matching"],
  ["annotationresponse", "fill-in"],
  ["choicetextresponse", "choice"],
  ["optionresponse", "choice"],
  ["symbolicresponse", "fill-in"],
  ["truefalseresponse", "true-false"],
  ["non_existent", "other"],
]);

function interactionType(responseType: unknown): string {
  return (typeof responseType === "string" && INTERACTION_TYPES.get(responseType)) || "other";
}

const OBJECT_TYPES: Record<string, string> = {
  "edx.grades.problem.submitted": ActivityType.question,
  showanswer: ActivityType.solution,
  "edx.problem.hint.demandhint_displayed": ActivityType.supplementalInfo,
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The problem's usage key: from `data` when it is an object, else the module's usage key. */
function problemId(event: EdxEvent): unknown {
  if (isObject(getData(event, "data"))) {
    return getData(event, "data.problem_id") ?? requireData(event, "data.module_id");
  }
  return getData(event, "usage_key");
}

function isBrowser(event: EdxEvent): boolean {
  return firstOf(event, "event_source", "context.event_source") === "browser";
}

// ----- showanswer, edx.problem.completed, edx.problem.hint.demandhint_displayed, edx.grades.problem.submitted

const SIMPLE_VERBS: Record<string, VerbName> = {
  showanswer: "asked",
  "edx.problem.hint.demandhint_displayed": "asked",
  "edx.problem.completed": "completed",
};

register(Object.keys(SIMPLE_VERBS), (scope) => {
  const { event, name } = scope;
  let id = problemId(event);
  if (name === "showanswer") {
    id = `${scope.iri("xblock", requireData(event, "problem_id"), "problem_id")}/answer`;
  } else if (name === "edx.problem.hint.demandhint_displayed") {
    const hint = requireData(event, "hint_index");
    id = `${scope.iri("xblock", requireData(event, "module_id"), "module_id")}/hint/${pyStr(hint)}`;
  }
  return scope.statement({
    verb: SIMPLE_VERBS[name]!,
    object: activity(id, { type: OBJECT_TYPES[name] ?? ActivityType.interaction }, "data.problem_id"),
  });
});

register(["edx.grades.problem.submitted"], (scope) =>
  scope.statement({
    verb: "attempted",
    object: activity(
      scope.iri("xblock", problemId(scope.event), "data.problem_id"),
      { type: ActivityType.question },
      "data.problem_id",
    ),
    result: weightedResult(getData(scope.event, "data"), "weighted_possible", "weighted_earned"),
  }),
);

// ----- problem_check

/**
 * The values of a problem_check event its statements read, each read once: a multi-question check makes
 * one statement per question from the same values, and several are found by searching the whole event.
 */
class Check {
  readonly browser: boolean;
  private responseTypeValue: unknown = MISSING;
  private displayNameValue: unknown = MISSING;
  private dataValue: unknown = MISSING;
  private successValue: unknown = MISSING;
  private attemptsValue: unknown = MISSING;

  constructor(readonly event: EdxEvent) {
    this.browser = isBrowser(event);
  }

  get responseType(): unknown {
    if (this.responseTypeValue === MISSING) this.responseTypeValue = getData(this.event, "response_type");
    return this.responseTypeValue;
  }

  get displayName(): unknown {
    if (this.displayNameValue === MISSING) this.displayNameValue = getData(this.event, "display_name");
    return this.displayNameValue;
  }

  get data(): unknown {
    if (this.dataValue === MISSING) this.dataValue = getData(this.event, "data");
    return this.dataValue;
  }

  get success(): unknown {
    if (this.successValue === MISSING) this.successValue = getData(this.event, "success");
    return this.successValue;
  }

  get attempts(): unknown {
    if (this.attemptsValue === MISSING) this.attemptsValue = getData(this.event, "data.attempts");
    return this.attemptsValue;
  }
}

const MISSING = Symbol("not read yet");

/** The first submitted question that names its response type (ERB's `_get_submission`). */
function firstSubmission(event: EdxEvent): Record<string, unknown> | undefined {
  const submissions = getData(event, "data.submission");
  if (!isObject(submissions)) return undefined;
  for (const key in submissions) {
    const submission = submissions[key];
    if (isObject(submission) && pyTruthy(submission.response_type)) return submission;
  }
  return undefined;
}

/** The question ids of a multi-question submission; none when it holds one question or fewer. */
function childIds(submissions: unknown): string[] {
  if (!isObject(submissions)) return [];
  const ids = Object.keys(submissions);
  return ids.length > 1 ? ids : [];
}

function checkDefinition(check: Check, submission: Record<string, unknown> | undefined, path: string): Json {
  const definition: Json = { type: ActivityType.interaction };
  const attempts = check.attempts;
  if (pyTruthy(attempts)) definition.extensions = { [Extension.attempt]: attempts };
  let type = interactionType(check.responseType);
  const displayName = check.displayName;
  if (pyTruthy(submission)) {
    type = interactionType(submission!.response_type);
    definition.description = languageMap("en-US", submission!.question, `${path}.question`);
  } else if (displayName !== undefined) {
    definition.name = languageMap("en-US", displayName, "context.module.display_name");
  }
  definition.interactionType = type;
  return definition;
}

/** tincan keeps a response as text: a list as JSON (ERB's JSONEncodedResult), anything else as str(). */
function responseText(response: unknown): string | undefined {
  if (response === undefined || response === null) return undefined;
  return Array.isArray(response) ? pyJsonDumps(response, false) : pyStr(response);
}

function checkResult(
  check: Check,
  submission: Record<string, unknown> | undefined,
  path: string,
  withScore: boolean,
): Json | undefined {
  if (check.browser) return undefined;
  const { event } = check;
  let response: unknown;
  let correct: unknown;
  if (pyTruthy(submission)) {
    if (!("answer" in submission!)) throw new ConversionError("required value is missing", `${path}.answer`);
    response = submission!.answer;
    correct = submission!.correct;
  } else {
    const data = check.data;
    response = isObject(data) ? data.answers : undefined;
    correct = check.success === "correct";
  }
  const result: Json = {};
  if (correct !== undefined && correct !== null) result.success = pyTruthy(correct);
  if (withScore) {
    const max = getData(event, "max_grade");
    const raw = getData(event, "grade");
    const score: Json = { min: 0 };
    if (max !== undefined) score.max = max;
    if (raw !== undefined) score.raw = raw;
    if (max !== undefined && raw !== undefined) {
      if (typeof max !== "number" || typeof raw !== "number") {
        throw new ConversionError(`expected numeric grade and max_grade`, "data.max_grade");
      }
      score.scaled = max > 0 ? raw / max : 0;
    }
    result.score = score;
  }
  const text = responseText(response);
  if (text !== undefined) result.response = text;
  return result;
}

/** The block a browser-side check was made on: the referrer's activate_block_id, else the input's name. */
function browserBlockId(event: EdxEvent): string | undefined {
  const referer = firstOf(event, "referer") ?? requireData(event, "context.referer");
  if (typeof referer === "string") {
    const queryStart = referer.indexOf("?");
    if (queryStart >= 0) {
      const fragment = referer.indexOf("#", queryStart);
      const query = referer.slice(queryStart + 1, fragment < 0 ? undefined : fragment);
      const blockId = new URLSearchParams(query).get("activate_block_id");
      if (blockId) return blockId;
    }
  }
  const data = getData(event, "data");
  const courseId = getData(event, "context.course_id");
  if (data === undefined || courseId === undefined) return undefined;
  if (typeof data !== "string") {
    throw new ConversionError(
      "a browser problem_check without activate_block_id needs its input string",
      "data",
    );
  }
  const input = data.split("_");
  const course = pyStr(courseId).split(":");
  return input.length > 1 && course.length > 1
    ? `block-v1:${course[1]}+type@problem+block@${input[1]}`
    : undefined;
}

function checkObjectId(scope: EventScope, check: Check, baseId: unknown): unknown {
  if (check.browser) {
    const blockId = browserBlockId(scope.event);
    return blockId === undefined ? undefined : scope.iri("xblock", blockId, "context.referer");
  }
  return pyTruthy(baseId) ? scope.iri("xblock", baseId, "data.problem_id") : baseId;
}

register(["problem_check"], (scope) => {
  const { event } = scope;
  const check = new Check(event);
  const verb: VerbName = check.browser ? "attempted" : "evaluated";
  const baseId = problemId(event);
  const submissions = getData(event, "submission");
  const children = childIds(submissions);
  const submission = firstSubmission(event);
  const definition = checkDefinition(check, submission, "data.submission");
  if (children.length > 0) definition.interactionType = "other";
  const object = activity(
    checkObjectId(scope, check, baseId),
    definition,
    "data.problem_id",
    children.length > 0 ? "GroupActivity" : "Activity",
  );
  const result = checkResult(check, submission, "data.submission", true);
  const parent = scope.statement(result === undefined ? { verb, object } : { verb, object, result });
  if (children.length === 0) return parent;

  const statements: XapiStatement[] = [parent];
  const course = scope.courseParent();
  const childBase = pyTruthy(baseId) ? pyStr(baseId) : "";
  const childPrefix = childBase.split("@").slice(0, -1);
  for (const childId of children) {
    const path = `submission.${childId}`;
    const item = (submissions as Record<string, unknown>)[childId];
    const childSubmission = isObject(item) ? item : undefined;
    const childObjectId = [...childPrefix, childId].join("@");
    const childResult = checkResult(check, childSubmission, path, false);
    if (childResult === undefined)
      throw new ConversionError("a browser event has no per-question result", "event_source");
    // The child's response is its own answer, read again as ERB does (undefined when absent).
    const answer = responseText(childSubmission?.answer);
    if (answer === undefined) delete childResult.response;
    else childResult.response = answer;
    statements.push(
      scope.statement({
        verb,
        idSuffix: childId,
        statementRef: parent.id as string,
        object: activity(
          checkObjectId(scope, check, childObjectId),
          checkDefinition(check, childSubmission, path),
          path,
        ),
        result: childResult,
        contextActivities:
          course === undefined ? { parent: [object] } : { parent: [object], grouping: [course] },
      }),
    );
  }
  return statements;
});
