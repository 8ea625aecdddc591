/**
 * ERB's video_events.py: the legacy browser names (load_video, play_video, …) and the names mobile apps
 * emit (edx.video.loaded, edx.video.played, …), the video block as object.
 */
import { ConversionError } from "../converter.js";
import { firstOf, getData, requireData } from "./event.js";
import { isoDuration, pyStr, secondsToFloat } from "./python.js";
import { register } from "./registry.js";
import { courseOf, type EventScope, extensions, type Json, type StatementParts } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

/** The video block IRIs' common part in a course (its namespace and key), built once per course. */
function videoPrefix(scope: EventScope, courseId: string): string {
  const course = courseOf(scope.config, courseId);
  if (course.videoPrefix === undefined) {
    // The video's usage key in its course: block-v1 in a course-v1 course, ccx-block-v1 in a CCX.
    const [namespace, courseKey] = courseId.split(":");
    if (courseKey === undefined) {
      throw new ConversionError(`course id ${JSON.stringify(courseId)} has no ':'`, "context.course_id");
    }
    const blockNamespace = namespace === "ccx-v1" ? "ccx-block-v1" : "block-v1";
    course.videoPrefix = `${scope.config.platformUrl}/xblock/${blockNamespace}:${courseKey}+type@video+block@`;
  }
  return course.videoPrefix;
}

function videoStatement(scope: EventScope, verb: VerbName, result?: Json) {
  const { event } = scope;
  const courseId = pyStr(requireData(event, "context.course_id"));
  const videoId = pyStr(requireData(event, "data.id"));
  const parts: StatementParts = {
    verb,
    object: {
      objectType: "Activity",
      id: videoPrefix(scope, courseId) + videoId,
      definition: { type: ActivityType.video },
    },
    contextExtensions: {
      [Extension.videoLength]: secondsToFloat(getData(event, "data.duration"), "data.duration"),
    },
  };
  if (result !== undefined) parts.result = result;
  return scope.statement(parts);
}

function currentTime(scope: EventScope): number | undefined {
  const { event } = scope;
  const path = getData(event, "data.current_time") === undefined ? "data.currentTime" : "data.current_time";
  return secondsToFloat(firstOf(event, "data.current_time", "data.currentTime"), path);
}

register(["load_video", "edx.video.loaded"], (scope) => videoStatement(scope, "initialized"));

const INTERACTION_VERBS: Record<string, VerbName> = {
  play_video: "played",
  "edx.video.played": "played",
  stop_video: "terminated",
  "edx.video.stopped": "terminated",
  pause_video: "paused",
  "edx.video.paused": "paused",
};
register(Object.keys(INTERACTION_VERBS), (scope) =>
  videoStatement(scope, INTERACTION_VERBS[scope.name]!, {
    extensions: extensions({ [Extension.videoTime]: currentTime(scope) }),
  }),
);

const CAPTIONS_SHOWN = new Set([
  "edx.video.closed_captions.shown",
  "edx.video.transcript.shown",
  "video_show_cc_menu",
  "show_transcript",
]);
register(
  [
    "hide_transcript",
    "video_hide_cc_menu",
    "edx.video.transcript.hidden",
    "show_transcript",
    "edx.video.transcript.shown",
    "edx.video.closed_captions.hidden",
    "edx.video.closed_captions.shown",
    "video_show_cc_menu",
  ],
  (scope) =>
    videoStatement(scope, "interacted", {
      extensions: extensions({
        [Extension.videoTime]: currentTime(scope),
        [Extension.videoCcEnabled]: CAPTIONS_SHOWN.has(scope.name),
      }),
    }),
);

register(["edx.video.completed", "complete_video"], (scope) => {
  const duration = secondsToFloat(getData(scope.event, "data.duration"), "data.duration");
  const result: Json = { extensions: extensions({ [Extension.videoTime]: duration }), completion: true };
  if (duration !== undefined) result.duration = isoDuration(duration);
  return videoStatement(scope, "completed", result);
});

register(["seek_video", "edx.video.position.changed"], (scope) =>
  videoStatement(scope, "seeked", {
    extensions: extensions({
      [Extension.videoTimeFrom]: secondsToFloat(getData(scope.event, "data.old_time"), "data.old_time"),
      [Extension.videoTimeTo]: secondsToFloat(getData(scope.event, "data.new_time"), "data.new_time"),
    }),
  }),
);

/** ERB joins the speed with "x", which only a string allows. */
function speed(scope: EventScope, path: string): string {
  const value = getData(scope.event, path);
  if (typeof value !== "string") {
    throw new ConversionError(
      `expected a speed string such as "1.5", got ${JSON.stringify(value ?? null)}`,
      path,
    );
  }
  return `${value}x`;
}

register(["speed_change_video"], (scope) =>
  videoStatement(scope, "interacted", {
    extensions: {
      [Extension.videoSpeedFrom]: speed(scope, "data.old_speed"),
      [Extension.videoSpeedTo]: speed(scope, "data.new_speed"),
    },
  }),
);
