/** ERB's navigation_events.py: links, outline and sequence navigation, all with the verb navigated. */
import { getData, requireData } from "./event.js";
import { register } from "./registry.js";
import { activity, type EventScope, extensions, languageMap } from "./statement.js";
import { ActivityType, Extension } from "./vocabulary.js";

register(["edx.ui.lms.link_clicked"], (scope) =>
  scope.statement({
    verb: "navigated",
    object: activity(
      requireData(scope.event, "data.target_url"),
      { type: ActivityType.link },
      "data.target_url",
    ),
  }),
);

register(["edx.ui.lms.sequence.outline.selected", "edx.ui.lms.outline.selected"], (scope) =>
  scope.statement({
    verb: "navigated",
    object: activity(
      getData(scope.event, "data.target_url"),
      {
        type: ActivityType.module,
        name: languageMap("en", getData(scope.event, "data.target_name"), "data.target_name"),
      },
      "data.target_url",
    ),
  }),
);

const ENDING_POSITION: Record<string, string> = {
  "edx.ui.lms.sequence.next_selected": "next unit",
  "edx.ui.lms.sequence.previous_selected": "previous unit",
};

function tabNavigation(scope: EventScope) {
  const { event } = scope;
  const ending =
    scope.name === "edx.ui.lms.sequence.tab_selected"
      ? getData(event, "data.target_tab")
      : ENDING_POSITION[scope.name];
  return scope.statement({
    verb: "navigated",
    object: {
      objectType: "Activity",
      id: scope.iri("xblock", getData(event, "data.id"), "data.id"),
      definition: {
        type: ActivityType.resource,
        extensions: extensions({ [Extension.totalCount]: getData(event, "data.tab_count") }),
      },
    },
    contextExtensions: {
      [Extension.startingPosition]: getData(event, "data.current_tab"),
      [Extension.endingPosition]: ending,
    },
  });
}

register(
  [
    "edx.ui.lms.sequence.next_selected",
    "edx.ui.lms.sequence.previous_selected",
    "edx.ui.lms.sequence.tab_selected",
  ],
  tabNavigation,
);
