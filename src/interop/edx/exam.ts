/**
 * ERB's exam_events.py: special exam attempts (timed, practice, proctored) started and submitted. ERB reads
 * these from `event.*` (the tracking-log shape in which edx-proctoring's events reach it).
 */
import { ConversionError } from "../converter.js";
import { getData } from "./event.js";
import { register } from "./registry.js";
import { activity, type EventScope, extensions, languageMap } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

function exam(type: string, verb: VerbName) {
  return (scope: EventScope) => {
    const { event } = scope;
    const parent = scope.courseParent();
    if (parent === undefined) {
      throw new ConversionError("an exam event needs its course", "context.course_id");
    }
    const examName = languageMap("en", getData(event, "event.exam_name"), "event.exam_name");
    return scope.statement({
      verb,
      object: activity(
        getData(event, "event.exam_content_id"),
        {
          type,
          name: examName,
          extensions: extensions({
            [Extension.timeLimit]: getData(event, "event.exam_default_time_limit_mins"),
          }),
        },
        "event.exam_content_id",
      ),
      contextActivities: {
        parent: [parent],
        grouping: [
          activity(
            getData(event, "event.attempt_code"),
            {
              type: ActivityType.examAttempt,
              name: { en: examName.en },
              extensions: extensions({
                [Extension.attemptStarted]: getData(event, "event.attempt_started_at"),
                [Extension.attemptCompleted]: getData(event, "event.attempt_completed_at"),
                [Extension.duration]: getData(event, "event.attempt_event_elapsed_time_secs"),
                [Extension.attempt]: getData(event, "event.attempt_id"),
              }),
            },
            "event.attempt_code",
          ),
        ],
      },
    });
  };
}

for (const [kind, type] of [
  ["timed", ActivityType.timedAssessment],
  ["practice", ActivityType.practiceAssessment],
  ["proctored", ActivityType.proctoredAssessment],
] as const) {
  register([`edx.special_exam.${kind}.attempt.created`], exam(type, "initialized"));
  register([`edx.special_exam.${kind}.attempt.submitted`], exam(type, "terminated"));
}
