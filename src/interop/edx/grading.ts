/** ERB's grading_events.py, and the weighted score rule problem submissions share with it. */
import { ConversionError } from "../converter.js";
import { getData, requireData } from "./event.js";
import { pyTruthy } from "./python.js";
import { register } from "./registry.js";
import { extensions, type Json } from "./statement.js";
import { ActivityType, Extension } from "./vocabulary.js";

/** `event_data[key] or 0`: the key must exist (ERB indexes it), a null or empty value counts as 0. */
function weight(data: Record<string, unknown>, key: string): number {
  if (!(key in data)) throw new ConversionError("required value is missing", `data.${key}`);
  const value = data[key];
  if (!pyTruthy(value)) return 0;
  if (typeof value !== "number")
    throw new ConversionError(`expected a number, got ${JSON.stringify(value)}`, `data.${key}`);
  return value;
}

function eventData(data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConversionError("expected an object", "data");
  }
  return data as Record<string, unknown>;
}

/** success when earned reaches possible; scaled is earned/possible, 0 when nothing was possible. */
export function weightedResult(data: unknown, possibleKey: string, earnedKey: string): Json {
  const fields = eventData(data);
  const possible = weight(fields, possibleKey);
  const earned = weight(fields, earnedKey);
  return {
    success: earned >= possible,
    score: { min: 0, max: possible, raw: earned, scaled: possible > 0 ? earned / possible : 0 },
  };
}

register(["edx.grades.subsection.grade_calculated"], (scope) =>
  scope.statement({
    verb: "earned",
    object: {
      objectType: "Activity",
      id: scope.iri("xblock", requireData(scope.event, "data.block_id"), "data.block_id"),
      definition: { type: ActivityType.resource },
    },
    result: weightedResult(getData(scope.event, "data"), "weighted_total_possible", "weighted_total_earned"),
  }),
);

register(["edx.grades.course.grade_calculated"], (scope) => {
  const { event } = scope;
  const courseId = String(requireData(event, "context.course_id"));
  const fields = eventData(getData(event, "data"));
  if (!("percent_grade" in fields))
    throw new ConversionError("required value is missing", "data.percent_grade");
  const earned = pyTruthy(fields.percent_grade) ? fields.percent_grade : 0;
  return scope.statement({
    verb: "earned",
    object: {
      objectType: "Activity",
      id: scope.iri("course", courseId, "context.course_id"),
      definition: { type: ActivityType.course, name: { en: scope.config.courseName(courseId) } },
    },
    result: {
      score: { min: 0, max: 1.0, raw: earned, scaled: earned },
      extensions: extensions({
        [Extension.gradeClassification]: getData(event, "data.letter_grade") ?? "Fail",
      }),
    },
  });
});
