/**
 * ERB's progress_events.py and completion_events.py: block completion changes and the completion
 * aggregator's progress and completion of units, subsections, sections and courses.
 */
import { ConversionError } from "../converter.js";
import { getData, requireData } from "./event.js";
import { register } from "./registry.js";
import type { EventScope } from "./statement.js";
import { ActivityType, Extension } from "./vocabulary.js";

function blockObject(scope: EventScope, type: string) {
  return {
    objectType: "Activity",
    id: scope.iri("xblock", getData(scope.event, "data.block_id"), "data.block_id"),
    definition: { type },
  };
}

register(["edx.completion.block_completion.changed"], (scope) => {
  const completion = getData(scope.event, "data.completion");
  if (typeof completion !== "number") {
    throw new ConversionError(
      `expected a completion fraction, got ${JSON.stringify(completion ?? null)}`,
      "data.completion",
    );
  }
  return scope.statement({
    verb: "progressed",
    object: blockObject(scope, ActivityType.resource),
    result: { completion: completion === 1, extensions: { [Extension.progress]: completion * 100 } },
  });
});

function progress(type: string) {
  return (scope: EventScope) => {
    const percent = getData(scope.event, "data.percent");
    return scope.statement({
      verb: "progressed",
      object: blockObject(scope, type),
      result: { completion: percent === 1, score: { scaled: percent ?? 0 } },
    });
  };
}

register(
  [
    "edx.completion_aggregator.progress.chapter",
    "edx.completion_aggregator.progress.sequential",
    "edx.completion_aggregator.progress.vertical",
  ],
  progress(ActivityType.module),
);
register(["edx.completion_aggregator.progress.course"], progress(ActivityType.course));

register(
  [
    "edx.completion_aggregator.completion.chapter",
    "edx.completion_aggregator.completion.sequential",
    "edx.completion_aggregator.completion.vertical",
  ],
  (scope) =>
    scope.statement({
      verb: "completed",
      object: {
        objectType: "Activity",
        id: scope.iri("xblock", requireData(scope.event, "data.block_id"), "data.block_id"),
        definition: { type: ActivityType.module },
      },
    }),
);

register(["edx.completion_aggregator.completion.course"], (scope) =>
  scope.statement({
    verb: "completed",
    object: {
      objectType: "Activity",
      id: scope.iri("courses", requireData(scope.event, "data.course_id"), "data.course_id"),
      definition: { type: ActivityType.course },
    },
  }),
);
