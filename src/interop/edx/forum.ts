/** ERB's forum_events.py: threads, responses and comments of the discussion forum. */
import { getData, requireString } from "./event.js";
import { register } from "./registry.js";
import type { EventScope, Json } from "./statement.js";
import { ActivityType, Extension, type VerbName } from "./vocabulary.js";

/** The post's URL: the request path with the post id taken out, then the id, under the LMS root. */
function forumObject(scope: EventScope): Json {
  const { event } = scope;
  const postId = requireString(event, "data.id");
  const path = requireString(event, "context.path")
    .replace(/\/+$/, "")
    .split(postId)
    .join("")
    .replace(/\/+$/, "");
  const definition: Json = { type: ActivityType.discussion };
  const title = getData(event, "data.title");
  if (title !== undefined) definition.name = { en: title };
  return { objectType: "Activity", id: `${scope.config.platformUrl}${path}/${postId}`, definition };
}

function forum(verb: VerbName, modeKey?: string) {
  return (scope: EventScope) =>
    scope.statement({
      verb,
      object: forumObject(scope),
      ...(modeKey === undefined
        ? {}
        : { contextExtensions: { [Extension.mode]: getData(scope.event, modeKey) } }),
    });
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
