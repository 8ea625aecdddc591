/** ERB's enrollment_events.py: enrollment and course pass/fail events, the course as object. */
import { getData, requireData } from "./event.js";
import { register } from "./registry.js";
import { type EventScope, extensions } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

function enrollment(verb: VerbName) {
  return (scope: EventScope) => {
    const courseId = String(requireData(scope.event, "context.course_id"));
    return scope.statement({
      verb,
      contextActivities: null,
      object: {
        objectType: "Activity",
        id: scope.iri("course", courseId, "context.course_id"),
        definition: {
          type: ActivityType.course,
          name: { en: scope.config.courseName(courseId) },
          extensions: extensions({ [Extension.mode]: getData(scope.event, "data.mode") }),
        },
      },
    });
  };
}

register(["edx.course.enrollment.activated", "edx.course.enrollment.mode_changed"], enrollment("registered"));
register(["edx.course.enrollment.deactivated"], enrollment("unregistered"));
register(["edx.course.grade.passed.first_time", "edx.course.grade.now_passed"], enrollment("passed"));
register(["edx.course.grade.now_failed"], enrollment("failed"));
