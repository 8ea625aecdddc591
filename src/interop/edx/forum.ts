/** ERB's forum_events.py: threads, responses and comments of the discussion forum. */

import { ConversionError } from "../converter.js";
import { getData, requireString } from "./event.js";
import { pyStr } from "./python.js";
import { register } from "./registry.js";
import type { EventScope, Json, StatementParts } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

/** The text with its trailing slashes taken off (`replace(/\/+$/, "")`). */
function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** The post's URL: the request path with the post id taken out, then the id, under the LMS root. */
function forumObject(scope: EventScope): Json {
  const { event } = scope;
  const postId = requireString(event, "data.id");
  const path = withoutTrailingSlashes(
    withoutTrailingSlashes(requireString(event, "context.path")).replaceAll(postId, ""),
  );
  const definition: Json = { type: ActivityType.discussion };
  const title = getData(event, "data.title");
  if (title !== undefined) definition.name = { en: title };
  return { objectType: "Activity", id: `${scope.config.platformUrl}${path}/${postId}`, definition };
}

/** The course, and for a response or comment the thread it belongs to (ERB 9.2). */
function forumContext(scope: EventScope): Json | null {
  const course = scope.courseParent();
  const threadId = getData(scope.event, "data.discussion.id");
  if (threadId === undefined) return course === undefined ? null : { parent: [course] };
  if (course === undefined)
    throw new ConversionError("a post in a thread needs its course", "context.course_id");
  const thread = {
    objectType: "Activity",
    id: `${scope.config.platformUrl}/api/discussion/v1/threads/${pyStr(threadId)}`,
    definition: { type: ActivityType.discussion },
  };
  return { parent: [course], grouping: [thread] };
}

function forum(verb: VerbName, modeKey?: string) {
  return (scope: EventScope) => {
    const parts: StatementParts = {
      verb,
      object: forumObject(scope),
      contextActivities: forumContext(scope),
    };
    if (modeKey !== undefined) parts.contextExtensions = { [Extension.mode]: getData(scope.event, modeKey) };
    return scope.statement(parts);
  };
}

register(["edx.forum.thread.created"], forum("posted", "thread_type"));
register(["edx.forum.response.created", "edx.forum.comment.created"], forum("posted"));
register(
  ["edx.forum.thread.edited", "edx.forum.response.edited", "edx.forum.comment.edited"],
  forum("edited"),
);
register(["edx.forum.thread.viewed"], forum("viewed"));
register(
  ["edx.forum.thread.deleted", "edx.forum.response.deleted", "edx.forum.comment.deleted"],
  forum("deleted"),
);
register(["edx.forum.thread.voted", "edx.forum.response.voted"], forum("voted", "vote_value"));
register(
  ["edx.forum.thread.reported", "edx.forum.response.reported", "edx.forum.comment.reported"],
  forum("reported"),
);
register(
  ["edx.forum.thread.unreported", "edx.forum.response.unreported", "edx.forum.comment.unreported"],
  forum("unreported"),
);
