/** Transformers of Moodle activity-module and plugin events (logstore_xapi `events/mod_*`, `tool_*`, `totara_*`). */
import { unserialize } from "php-serialize";
import { ConversionError } from "../../converter.js";
import type { Row } from "../repository.js";
import {
  type Agent,
  activity,
  type Ctx,
  contextBase,
  courseActivity,
  courseLang,
  eventCourse,
  moduleActivity,
  moduleParts,
  num,
  otherField,
  requireCourse,
  type Statement,
  siteActivity,
  slugOf,
  statementBy,
  str,
  stripTags,
  truthy,
  userAgent,
  verb,
} from "../statement.js";
import { TYPE, VERB, X } from "../vocabulary.js";
import { moduleContext, siteContext } from "./core.js";

interface ModuleStatement {
  actor: Agent;
  verb: Statement;
  object: Statement;
  /** Whether the module itself is a parent (true when the object is something inside the module). */
  inModule: boolean;
  parentsBefore?: Statement[];
  extensions?: Record<string, unknown>;
  result?: Statement;
  instructor?: Agent;
  cmid?: unknown;
}

function moduleStatement(ctx: Ctx, course: Row, parts: ModuleStatement): Statement {
  const cmid = parts.cmid ?? ctx.event.contextinstanceid;
  const context = moduleContext(ctx, course, cmid, parts.inModule, parts.extensions, parts.parentsBefore);
  if (parts.instructor) context.instructor = parts.instructor;
  const statement: Statement = { actor: parts.actor, verb: parts.verb, object: parts.object, context };
  if (parts.result) statement.result = parts.result;
  return statement;
}

/**
 * An event's one statement about the module or something in it: the user `actorId` did `verbId` to
 * `rest().object`. `rest` is called once the actor is read, keeping the plugin's order of look-ups (as
 * `statementBy` does).
 */
function moduleEvent(
  ctx: Ctx,
  course: Row,
  actorId: unknown,
  verbId: string,
  display: string,
  rest: () => Omit<ModuleStatement, "actor" | "verb">,
): Statement[] {
  const actor = userAgent(ctx, actorId);
  return [moduleStatement(ctx, course, { actor, verb: verb(verbId, display), ...rest() })];
}

function cmUrl(ctx: Ctx, module: string, cmid: unknown): string {
  return `${ctx.config.app_url}/mod/${module}/view.php?id=${str(cmid)}`;
}

/** A module viewed, or any simple action on the module itself. */
function onModule(
  ctx: Ctx,
  verbId: string,
  display: string,
  actorId: unknown = ctx.event.userid,
): Statement[] {
  const course = requireCourse(ctx);
  return moduleEvent(ctx, course, actorId, verbId, display, () => ({
    object: moduleActivity(ctx, course, ctx.event.contextinstanceid),
    inModule: false,
  }));
}

export const course_module_viewed = (ctx: Ctx) => onModule(ctx, VERB.viewed, "Viewed");

/** Scores as the plugin reports them: scaled against the passing grade, capped to [-1, 1]. */
function gradeScore(raw: number, min: number, max: number, pass: number): Statement {
  const span = max - pass;
  let scaled = span === 0 ? (raw >= pass ? 1 : 0) : (raw - pass) / span;
  scaled = Math.max(-1, Math.min(1, scaled));
  return { min, max, raw, scaled };
}

function plainScore(raw: number, min: number, max: number): Statement {
  let scaled = max - min === 0 ? 0 : (raw - min) / (max - min);
  scaled = Math.max(-1, Math.min(1, scaled));
  return { min, max, raw, scaled };
}

// ---- mod_assign

function assignSubmission(ctx: Ctx, course: Row): Statement {
  const { instance } = moduleParts(ctx, ctx.event.contextinstanceid);
  return activity(
    `${cmUrl(ctx, "assign", ctx.event.contextinstanceid)}#submission`,
    TYPE.submission,
    courseLang(course),
    `${str(instance.name)} Submission`,
  );
}

export function assignment_graded(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const grade = ctx.repo.byId(ctx.event.objecttable || "grade", ctx.event.objectid);
  const item = ctx.repo.one("grade_items", { itemmodule: "assign", iteminstance: grade.assignment });
  const raw = num(grade.grade);
  const result: Record<string, unknown> = {
    score: gradeScore(raw, num(item.grademin), num(item.grademax), num(item.gradepass)),
    success: raw >= num(item.gradepass),
  };
  const comment = ctx.repo.find("assignfeedback_comments", { grade: grade.id });
  if (comment && truthy(comment.commenttext)) result.response = stripTags(comment.commenttext);
  return moduleEvent(ctx, course, grade.userid, VERB.scored, "Scored", () => ({
    object: assignSubmission(ctx, course),
    inModule: true,
    instructor: userAgent(ctx, ctx.event.userid),
    result,
  }));
}

export function assignment_submitted(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.submit, "Submitted", () => ({
    object: assignSubmission(ctx, course),
    inModule: true,
  }));
}

export function feedback_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const grade = ctx.repo.byId("assign_grades", ctx.event.objectid);
  const { instance } = moduleParts(ctx, ctx.event.contextinstanceid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(
      `${cmUrl(ctx, "assign", ctx.event.contextinstanceid)}#feedback`,
      TYPE.feedback,
      courseLang(course),
      `${str(instance.name)} Feedback`,
    ),
    inModule: true,
    instructor: userAgent(ctx, grade.grader),
  }));
}

function submissionFor(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = requireCourse(ctx);
  return moduleEvent(ctx, course, ctx.event.userid, verbId, display, () => ({
    object: assignSubmission(ctx, course),
    inModule: true,
    extensions: { [X.for]: userAgent(ctx, ctx.event.relateduserid) },
  }));
}

/** Both lock events go through one transformer (`mod_assign\submission_locked`), which reads the action. */
export const submission_locked = (ctx: Ctx) =>
  ctx.event.action === "unlocked" || ctx.event.eventname.endsWith("submission_unlocked")
    ? submissionFor(ctx, VERB.unlocked, "Unocked")
    : submissionFor(ctx, VERB.locked, "Locked");
export const submission_viewed = (ctx: Ctx) => submissionFor(ctx, VERB.viewed, "Viewed");

// ---- mod_bigbluebuttonbn

export const bbb = {
  activity_viewed: (ctx: Ctx) => onModule(ctx, VERB.viewed, "Viewed"),
  activity_management_viewed: (ctx: Ctx) => onModule(ctx, VERB.viewed, "Viewed"),
  meeting_created: (ctx: Ctx) => onModule(ctx, VERB.create, "Created"),
  meeting_ended: (ctx: Ctx) => onModule(ctx, VERB.adjourned, "Adjourned"),
  meeting_joined: (ctx: Ctx) => onModule(ctx, VERB.joinLegacy, "Joined"),
  meeting_left: (ctx: Ctx) => onModule(ctx, VERB.leaveLegacy, "Left"),
  recording_deleted: (ctx: Ctx) => onModule(ctx, VERB.delete, "Deleted"),
  recording_edited: (ctx: Ctx) => onModule(ctx, VERB.edited, "Edited"),
  recording_imported: (ctx: Ctx) => onModule(ctx, VERB.imported, "Imported"),
  recording_protected: (ctx: Ctx) => onModule(ctx, VERB.secured, "Secured"),
  recording_published: (ctx: Ctx) => onModule(ctx, VERB.publish, "Published"),
  recording_unprotected: (ctx: Ctx) => onModule(ctx, VERB.unsecured, "Unsecured"),
  recording_unpublished: (ctx: Ctx) => onModule(ctx, VERB.retract, "Retracted"),
  recording_viewed: (ctx: Ctx) => onModule(ctx, VERB.viewed, "Viewed"),
};

// ---- mod_book

function chapterActivity(ctx: Ctx, course: Row, chapter: Row): Statement {
  return activity(
    `${cmUrl(ctx, "book", ctx.event.contextinstanceid)}&chapterid=${str(chapter.id)}`,
    TYPE.chapter,
    courseLang(course),
    str(chapter.title),
    stripTags(chapter.content),
  );
}

/** A subchapter's parent: the closest preceding top-level chapter of the same book. */
function parentChapter(ctx: Ctx, chapter: Row): Row | undefined {
  if (!truthy(chapter.subchapter)) return undefined;
  return ctx.repo
    .all("book_chapters", { bookid: chapter.bookid })
    .filter((other) => !truthy(other.subchapter) && num(other.pagenum) < num(chapter.pagenum))
    .sort((a, b) => num(b.pagenum) - num(a.pagenum))[0];
}

function chapterEvent(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = requireCourse(ctx);
  const chapter = ctx.repo.byId("book_chapters", ctx.event.objectid);
  const parent = parentChapter(ctx, chapter);
  return moduleEvent(ctx, course, ctx.event.userid, verbId, display, () => ({
    object: chapterActivity(ctx, course, chapter),
    inModule: true,
    parentsBefore: parent ? [chapterActivity(ctx, course, parent)] : [],
  }));
}

export const chapter_viewed = (ctx: Ctx) => chapterEvent(ctx, VERB.viewed, "Viewed");
export const chapter_created = (ctx: Ctx) => chapterEvent(ctx, VERB.create, "Created");

// ---- mod_feedback

const ANONYMOUS_NAME = "Anonymous Course Participant";

function feedbackActor(ctx: Ctx, completed: Row): Agent {
  if (Number(completed.anonymous_response) === 1) {
    const homePage = ctx.config.account_homepage ?? ctx.config.app_url;
    return { name: ANONYMOUS_NAME, account: { homePage, name: "anonymous" } };
  }
  return userAgent(ctx, ctx.event.userid);
}

/** `r>>>>>3####label|…` → [{rating, label}]: the rated or plain choices of a feedback item. */
function feedbackChoices(presentation: string): { rating?: number; label: string }[] {
  const body = presentation.replace(/^[a-z]>>>>>/, "").replace(/<<<<<.*$/s, "");
  return body.split("|").map((entry) => {
    const parts = entry.split("####");
    return parts.length > 1
      ? { rating: Number(parts[0]), label: parts.slice(1).join("####") }
      : { label: parts[0] ?? "" };
  });
}

function feedbackItemStatement(
  ctx: Ctx,
  course: Row,
  actor: Agent,
  item: Row,
  value: Row,
): Statement | undefined {
  const lang = courseLang(course);
  const definition: Record<string, unknown> = { name: { [lang]: str(item.name) }, type: TYPE.interaction };
  const response = str(value.value);
  let result: Record<string, unknown>;
  switch (str(item.typ)) {
    case "multichoicerated":
    case "multichoice": {
      const choices = feedbackChoices(str(item.presentation));
      definition.interactionType = "choice";
      definition.choices = choices.map((choice) => ({
        id: slugOf(choice.label),
        description: { [lang]: choice.label },
      }));
      definition.correctResponsesPattern = [choices.map((choice) => slugOf(choice.label)).join("[,]")];
      const selected = response
        .split("|")
        .filter((index) => index !== "")
        .map((index) => choices[Number(index) - 1])
        .filter((choice) => choice !== undefined);
      const labels = selected.map((choice) => choice.label).join("; ");
      const extensions: Record<string, unknown> = {
        "http://learninglocker.net/xapi/cmi/choice/response": labels,
      };
      if (str(item.typ) === "multichoicerated" && selected.length === 1) {
        extensions["http://learninglocker.net/xapi/moodle/feedback_item_rating"] = selected[0]?.rating;
      }
      result = { response: labels, completion: response !== "", extensions };
      break;
    }
    case "numeric": {
      const [low, high] = str(item.presentation).split("|");
      definition.interactionType = "numeric";
      definition.correctResponsesPattern = [`${low ?? ""}[:]${high ?? ""}`];
      result = {
        response,
        completion: response !== "",
        extensions: { "http://learninglocker.net/xapi/cmi/numeric/response": Number(response) },
      };
      break;
    }
    case "textarea":
      definition.interactionType = "long-fill-in";
      result = { response, completion: response !== "" };
      break;
    case "textfield":
      definition.interactionType = "fill-in";
      result = { response, completion: response !== "" };
      break;
    default:
      return undefined;
  }
  return moduleStatement(ctx, course, {
    actor,
    verb: verb(VERB.answered, "Answered"),
    object: {
      id: `${ctx.config.app_url}/mod/feedback/edit_item.php?id=${str(item.id)}`,
      definition,
      objectType: "Activity",
    },
    inModule: true,
    result,
  });
}

export function feedback_response_submitted(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const completed = ctx.repo.byId("feedback_completed", ctx.event.objectid);
  const actor = feedbackActor(ctx, completed);
  const statements: Statement[] = [
    moduleStatement(ctx, course, {
      actor,
      verb: verb(VERB.submitLegacy, "Submitted"),
      object: moduleActivity(ctx, course, ctx.event.contextinstanceid),
      inModule: false,
    }),
  ];
  for (const value of ctx.repo.all("feedback_value", { completed: completed.id })) {
    const item = ctx.repo.byId("feedback_item", value.item);
    const statement = feedbackItemStatement(ctx, course, actor, item, value);
    if (statement) statements.push(statement);
  }
  return statements;
}

// ---- mod_forum

function discussionActivity(ctx: Ctx, course: Row, discussion: Row): Statement {
  return activity(
    `${ctx.config.app_url}/mod/forum/discuss.php?d=${str(discussion.id)}`,
    TYPE.discussion,
    courseLang(course),
    str(discussion.name),
  );
}

function onDiscussion(ctx: Ctx, discussionId: unknown, verbId: string, display: string): Statement[] {
  const course = requireCourse(ctx);
  const discussion = ctx.repo.byId("forum_discussions", discussionId);
  return moduleEvent(ctx, course, ctx.event.userid, verbId, display, () => ({
    object: discussionActivity(ctx, course, discussion),
    inModule: true,
  }));
}

export const discussion_created = (ctx: Ctx) => onDiscussion(ctx, ctx.event.objectid, VERB.create, "Created");
export const discussion_viewed = (ctx: Ctx) => onDiscussion(ctx, ctx.event.objectid, VERB.viewed, "Viewed");
export const discussion_deleted = (ctx: Ctx) => onDiscussion(ctx, ctx.event.objectid, VERB.delete, "Deleted");
export const discussion_subscription_created = (ctx: Ctx) =>
  onDiscussion(ctx, otherField(ctx, "discussion"), VERB.subscribed, "Subscribed");
export const discussion_subscription_deleted = (ctx: Ctx) =>
  onDiscussion(ctx, otherField(ctx, "discussion"), VERB.unsubscribed, "Unsubscribed");

function onPost(ctx: Ctx, verbId: string, display: string, withContent: boolean): Statement[] {
  const course = requireCourse(ctx);
  const post = ctx.repo.findById("forum_posts", ctx.event.objectid);
  const discussionId = ctx.event.other.discussionid ?? post?.discussion;
  if (discussionId === undefined) throw new ConversionError("missing", "event.other.discussionid");
  const discussion = ctx.repo.byId("forum_discussions", discussionId);
  const id = `${ctx.config.app_url}/mod/forum/discuss.php?d=${str(discussion.id)}#p${str(ctx.event.objectid)}`;
  const lang = courseLang(course);
  const object =
    withContent && post
      ? activity(id, TYPE.forumReply, lang, str(post.subject), stripTags(post.message))
      : activity(id, TYPE.forumReply, lang);
  return moduleEvent(ctx, course, ctx.event.userid, verbId, display, () => ({
    object,
    inModule: true,
    parentsBefore: [discussionActivity(ctx, course, discussion)],
  }));
}

export const post_created = (ctx: Ctx) => onPost(ctx, VERB.replied, "Replied", true);
export const post_updated = (ctx: Ctx) => onPost(ctx, VERB.edited, "Edited", true);
export const post_deleted = (ctx: Ctx) => onPost(ctx, VERB.delete, "Deleted", false);
export const forum_subscription_created = (ctx: Ctx) => onModule(ctx, VERB.subscribed, "Subscribed");
export const forum_subscription_deleted = (ctx: Ctx) => onModule(ctx, VERB.unsubscribed, "Unsubscribed");

export function user_report_viewed(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const viewed = ctx.repo.byId("user", ctx.event.relateduserid);
  const lang = courseLang(course);
  const extensions: Record<string, unknown> = {};
  let id = `${ctx.config.app_url}/mod/forum/user.php?id=${str(viewed.id)}`;
  if (course) {
    id += `&course=${str(course.id)}`;
    extensions[X.courseId] = num(course.id);
  }
  extensions[X.userId] = num(viewed.id);
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (course) contextActivities.parent = [courseActivity(ctx, course)];
  const name = [str(viewed.firstname), str(viewed.lastname)].filter((part) => part !== "").join(" ");
  return statementBy(ctx, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(id, TYPE.userProfile, lang, `forum posts of ${name}`, undefined, extensions),
    context: { ...contextBase(ctx, lang), contextActivities },
  }));
}

// ---- mod_glossary

function glossaryEntryActivity(ctx: Ctx, course: Row, entry: Row): Statement {
  return activity(
    `${ctx.config.app_url}/mod/glossary/showentry.php?eid=${str(entry.id)}`,
    TYPE.glossaryEntry,
    courseLang(course),
    str(entry.concept),
    stripTags(entry.definition),
  );
}

export function glossary_comment_created(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const comment = ctx.repo.byId("comments", ctx.event.objectid);
  const entry = ctx.repo.byId("glossary_entries", ctx.event.other.itemid ?? comment.itemid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.commented, "Commented", () => ({
    object: activity(
      `${ctx.config.app_url}/mod/glossary/showentry.php?eid=${str(entry.id)}#c${str(comment.id)}`,
      TYPE.comment,
      courseLang(course),
      `RE: ${str(entry.concept)}`,
      stripTags(comment.content),
    ),
    inModule: true,
    parentsBefore: [glossaryEntryActivity(ctx, course, entry)],
  }));
}

export function glossary_entry_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const entry = ctx.repo.byId("glossary_entries", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: glossaryEntryActivity(ctx, course, entry),
    inModule: true,
  }));
}

// ---- mod_lesson

function lessonSession(ctx: Ctx, course: Row, lesson: Row): Statement {
  return activity(
    `${cmUrl(ctx, "lesson", ctx.event.contextinstanceid)}#lesson`,
    TYPE.lessonSession,
    courseLang(course),
    str(lesson.name),
    truthy(lesson.intro) ? stripTags(lesson.intro) : undefined,
  );
}

function onLesson(ctx: Ctx, verbId: string, display: string, result?: Statement): Statement[] {
  const course = requireCourse(ctx);
  const lesson = ctx.repo.byId("lesson", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, verbId, display, () => ({
    object: lessonSession(ctx, course, lesson),
    inModule: true,
    result,
  }));
}

export const lesson_started = (ctx: Ctx) => onLesson(ctx, VERB.started, "Started");
export const lesson_resumed = (ctx: Ctx) => onLesson(ctx, VERB.resumed, "Resumed");
export const lesson_restarted = (ctx: Ctx) => onLesson(ctx, VERB.restarted, "Restarted");

export function lesson_ended(ctx: Ctx): Statement[] {
  const lesson = ctx.repo.byId("lesson", ctx.event.objectid);
  const result: Record<string, unknown> = { completion: true };
  const item = ctx.repo.find("grade_items", { itemmodule: "lesson", iteminstance: lesson.id });
  if (item) {
    const grade = ctx.repo
      .all("grade_grades", { itemid: item.id, userid: ctx.event.userid })
      .sort((a, b) => num(b.timemodified) - num(a.timemodified))[0];
    if (grade) {
      const min = num(grade.rawgrademin);
      const max = num(grade.rawgrademax);
      const raw = Math.max(Math.min(num(grade.rawgrade), max), min);
      const pass = num(item.gradepass);
      result.score = gradeScore(raw, min, max, pass);
      result.success = raw >= pass;
    }
  }
  return onLesson(ctx, VERB.completed, "Completed", result);
}

export function content_page_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("lesson_pages", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(
      `${cmUrl(ctx, "lesson", ctx.event.contextinstanceid)}&pageid=${str(page.id)}`,
      TYPE.lessonContentPage,
      courseLang(course),
      str(page.title),
    ),
    inModule: true,
  }));
}

/** Lesson page types (mod/lesson/locallib.php). */
const LESSON_QTYPE = { shortanswer: 1, truefalse: 2, multichoice: 3, matching: 5, numerical: 8, essay: 10 };

function lessonQuestion(ctx: Ctx, course: Row, page: Row): Statement {
  const lang = courseLang(course);
  const answers = ctx.repo.all("lesson_answers", { pageid: page.id });
  const correct = answers.filter((answer) => num(answer.score) > 0);
  const definition: Record<string, unknown> = {
    name: { [lang]: str(page.title) },
    description: { [lang]: stripTags(page.contents) },
    type: TYPE.interaction,
  };
  switch (num(page.qtype)) {
    case LESSON_QTYPE.shortanswer:
      definition.interactionType = "fill-in";
      definition.correctResponsesPattern = correct.map((answer) => str(answer.response));
      break;
    case LESSON_QTYPE.truefalse:
    case LESSON_QTYPE.multichoice:
      definition.interactionType = "choice";
      definition.choices = answers.map((answer) => ({
        id: str(answer.response),
        description: { [lang]: str(answer.response) },
      }));
      definition.correctResponsesPattern = [correct.map((answer) => str(answer.response)).join("[,]")];
      break;
    case LESSON_QTYPE.matching:
      definition.interactionType = "matching";
      definition.source = answers.map((answer) => ({
        id: slugOf(str(answer.answer)),
        description: { [lang]: str(answer.answer) },
      }));
      definition.target = answers.map((answer) => ({
        id: slugOf(str(answer.response)),
        description: { [lang]: str(answer.response) },
      }));
      definition.correctResponsesPattern = [
        answers
          .map((answer) => `${slugOf(str(answer.answer))}[.]${slugOf(str(answer.response))}`)
          .join("[,]"),
      ];
      break;
    case LESSON_QTYPE.numerical:
      definition.interactionType = "numeric";
      definition.correctResponsesPattern = correct.map((answer) => str(answer.response));
      break;
    case LESSON_QTYPE.essay:
      definition.interactionType = "long-fill-in";
      break;
    default:
      definition.interactionType = "other";
  }
  return {
    id: `${cmUrl(ctx, "lesson", ctx.event.contextinstanceid)}&pageid=${str(page.id)}`,
    definition,
    objectType: "Activity",
  };
}

function essayAnswer(useranswer: unknown): Record<string, unknown> {
  try {
    const value = unserialize(str(useranswer), {}, { strict: false }) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    throw new ConversionError("useranswer is not PHP-serialized", "data.lesson_attempts.useranswer");
  }
}

export function lesson_question_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("lesson_pages", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: lessonQuestion(ctx, course, page),
    inModule: true,
  }));
}

export function lesson_question_answered(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("lesson_pages", ctx.event.objectid);
  const attempts = ctx.repo.all("lesson_attempts", {
    lessonid: page.lessonid,
    pageid: page.id,
    userid: ctx.event.userid,
  });
  const attempt = attempts.sort((a, b) => num(b.timeseen) - num(a.timeseen))[0];
  if (!attempt) throw new ConversionError("no lesson attempt for this page and user", "data.lesson_attempts");
  let result: Record<string, unknown>;
  switch (num(page.qtype)) {
    case LESSON_QTYPE.essay:
      result = { response: str(essayAnswer(attempt.useranswer).answer) };
      break;
    case LESSON_QTYPE.matching: {
      const answers = ctx.repo.all("lesson_answers", { pageid: page.id });
      const responses = str(attempt.useranswer).split(",");
      result = {
        response: answers
          .map((answer, index) => `${slugOf(str(answer.answer))}[.]${slugOf(responses[index] ?? "")}`)
          .join("[,]"),
        success: truthy(attempt.correct),
      };
      break;
    }
    default:
      result = { response: str(attempt.useranswer), success: truthy(attempt.correct) };
  }
  return moduleEvent(ctx, course, ctx.event.userid, VERB.answered, "Answered", () => ({
    object: lessonQuestion(ctx, course, page),
    inModule: true,
    result,
  }));
}

export function essay_assessed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("lesson_pages", ctx.event.objectid);
  const attempt = ctx.repo.byId("lesson_attempts", otherField(ctx, "attemptid"));
  const answer = essayAnswer(attempt.useranswer);
  const max = ctx.repo
    .all("lesson_answers", { pageid: page.id })
    .reduce((best, row) => Math.max(best, num(row.score)), 0);
  const raw = num(answer.score);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.assessed, "Assessed", () => ({
    object: lessonQuestion(ctx, course, page),
    inModule: true,
    extensions: { [X.for]: userAgent(ctx, attempt.userid) },
    result: { response: str(answer.response), score: plainScore(raw, 0, max) },
  }));
}

// ---- mod_questionnaire

export function all_responses_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const { instance } = moduleParts(ctx, ctx.event.contextinstanceid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(
      `${ctx.config.app_url}/mod/questionnaire/report.php?instance=${str(instance.id)}&group=0`,
      TYPE.report,
      courseLang(course),
      `${str(instance.name)} Report`,
    ),
    inModule: true,
  }));
}

export const questionnaire_attempt_submitted = (ctx: Ctx) => onModule(ctx, VERB.submit, "Submitted");

// ---- mod_quiz

function quizAttemptActivity(ctx: Ctx, course: Row, attempt: Row, quiz: Row): Statement {
  return activity(
    `${ctx.config.app_url}/mod/quiz/attempt.php?attempt=${str(attempt.id)}&cmid=${str(ctx.event.contextinstanceid)}`,
    TYPE.attempt,
    courseLang(course),
    `${str(quiz.name)} Attempt ${str(attempt.id)}`,
  );
}

function quizAttemptResult(ctx: Ctx, attempt: Row, quiz: Row): Statement {
  const result: Record<string, unknown> = { completion: true };
  const seconds = num(attempt.timefinish) - num(attempt.timestart);
  if (truthy(attempt.timefinish)) result.duration = `PT${seconds}S`;
  const item = ctx.repo.find("grade_items", { itemmodule: "quiz", iteminstance: quiz.id });
  const grade = item
    ? ctx.repo.find("grade_grades", { itemid: item.id, userid: ctx.event.relateduserid })
    : undefined;
  if (item && grade) {
    const min = num(item.grademin);
    const max = num(item.grademax);
    const raw = Math.max(Math.min(num(grade.rawgrade), max), min);
    const pass = num(item.gradepass);
    result.score = gradeScore(raw, min, max, pass);
    result.success = raw >= pass;
  }
  return result;
}

function quizAttemptParts(ctx: Ctx): { course: Row; attempt: Row; quiz: Row } {
  const course = requireCourse(ctx);
  const attempt = ctx.repo.byId("quiz_attempts", ctx.event.objectid);
  const quiz = ctx.repo.byId("quiz", attempt.quiz);
  return { course, attempt, quiz };
}

export function quiz_attempt_submitted(ctx: Ctx): Statement[] {
  const { course, attempt, quiz } = quizAttemptParts(ctx);
  const statements: Statement[] = [
    moduleStatement(ctx, course, {
      actor: userAgent(ctx, ctx.event.relateduserid),
      verb: verb(VERB.completed, "Completed"),
      object: quizAttemptActivity(ctx, course, attempt, quiz),
      inModule: true,
      result: quizAttemptResult(ctx, attempt, quiz),
    }),
  ];
  for (const questionAttempt of ctx.repo.all("question_attempts", { questionusageid: attempt.uniqueid })) {
    const statement = quizQuestionAnswered(ctx, course, attempt, quiz, questionAttempt);
    if (statement) statements.push(statement);
  }
  return statements;
}

export function quiz_attempt_started(ctx: Ctx): Statement[] {
  const { course, attempt, quiz } = quizAttemptParts(ctx);
  return moduleEvent(
    ctx,
    course,
    ctx.event.relateduserid ?? ctx.event.userid,
    VERB.attempted,
    "Attempted",
    () => ({
      object: quizAttemptActivity(ctx, course, attempt, quiz),
      inModule: true,
    }),
  );
}

export function quiz_attempt_viewed(ctx: Ctx): Statement[] {
  const { course, attempt, quiz } = quizAttemptParts(ctx);
  return moduleEvent(ctx, course, ctx.event.relateduserid ?? ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: quizAttemptActivity(ctx, course, attempt, quiz),
    inModule: true,
  }));
}

export function attempt_becameoverdue(ctx: Ctx): Statement[] {
  const { course, attempt, quiz } = quizAttemptParts(ctx);
  return moduleEvent(ctx, course, ctx.event.relateduserid, VERB.exceeded, "Exceeded", () => ({
    object: quizAttemptActivity(ctx, course, attempt, quiz),
    inModule: true,
  }));
}

export function attempt_reviewed(ctx: Ctx): Statement[] {
  const { course, attempt, quiz } = quizAttemptParts(ctx);
  return moduleEvent(ctx, course, ctx.event.relateduserid, VERB.receive, "Received", () => ({
    object: activity(
      `${ctx.config.app_url}/review.php?attempt=${str(attempt.id)}`,
      TYPE.review,
      courseLang(course),
      "Review",
    ),
    inModule: true,
    parentsBefore: [quizAttemptActivity(ctx, course, attempt, quiz)],
    instructor: userAgent(ctx, ctx.event.userid),
  }));
}

const htmlRemoved = (value: unknown): string => stripTags(value).trim();

/** `a\n -> b; c\n -> d` → [[a, b], [c, d]]. */
function matchPairs(summary: string): [string, string][] {
  return summary
    .split("; ")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const [source, target] = pair.split(/\s*->\s*/);
      return [(source ?? "").trim(), (target ?? "").trim()];
    });
}

function quizQuestionAnswered(
  ctx: Ctx,
  course: Row,
  attempt: Row,
  quiz: Row,
  questionAttempt: Row,
): Statement | undefined {
  const lang = courseLang(course);
  const question = ctx.repo.byId("question", questionAttempt.questionid);
  const definition: Record<string, unknown> = {
    name: { [lang]: str(question.name) },
    description: { [lang]: htmlRemoved(question.questiontext) },
    type: TYPE.interaction,
  };
  const summaryRaw = questionAttempt.responsesummary;
  const summary = summaryRaw === null || summaryRaw === undefined ? "" : htmlRemoved(summaryRaw);
  const right = str(questionAttempt.rightanswer);
  const success = right === str(summaryRaw);
  const completion = summary !== "";
  let result: Record<string, unknown>;
  switch (str(question.qtype)) {
    case "essay":
      definition.interactionType = "long-fill-in";
      result = { response: summary, completion };
      break;
    case "multichoice":
    case "multichoiceset": {
      definition.interactionType = "choice";
      if (ctx.config.send_response_choices) {
        definition.choices = ctx.repo.all("question_answers", { question: question.id }).map((answer) => ({
          id: slugOf(htmlRemoved(answer.answer)),
          description: { [lang]: htmlRemoved(answer.answer) },
        }));
        definition.correctResponsesPattern = [
          htmlRemoved(right)
            .split("; ")
            .map((choice) => slugOf(choice))
            .join("[,]"),
        ];
      }
      result = {
        response: summary
          .split("; ")
          .map((choice) => slugOf(choice))
          .join("[,]"),
        success,
        completion,
        extensions: { "http://learninglocker.net/xapi/cmi/choice/response": summary },
      };
      break;
    }
    case "truefalse":
      definition.interactionType = "true-false";
      definition.correctResponsesPattern = [htmlRemoved(right).toLowerCase()];
      result = {
        response: summary.toLowerCase(),
        success,
        completion,
        extensions: {
          "http://learninglocker.net/xapi/cmi/true-false/response": summary.toLowerCase() === "true",
        },
      };
      break;
    case "numerical": {
      definition.interactionType = "numeric";
      const numerical = ctx.repo.find("question_numerical", { question: question.id });
      // A numerical answer is right within the tolerance, not only when it is written the same way.
      let numericSuccess = success;
      if (numerical) {
        const answer = ctx.repo.findById("question_answers", numerical.answer);
        const value = num(answer ? answer.answer : right);
        const tolerance = num(numerical.tolerance);
        definition.correctResponsesPattern = [`${value - tolerance}[:]${value + tolerance}`];
        const given = Number(summary);
        numericSuccess = summary !== "" && Number.isFinite(given) && Math.abs(given - value) <= tolerance;
      }
      result = {
        response: summary,
        success: numericSuccess,
        completion,
        extensions: { "http://learninglocker.net/xapi/cmi/numeric/response": Number(summary) },
      };
      break;
    }
    case "match":
    case "randomsamatch": {
      definition.interactionType = "matching";
      const subquestions = ctx.repo.all("qtype_match_subquestions", { questionid: question.id });
      definition.source = subquestions.map((sub) => ({
        id: slugOf(htmlRemoved(sub.questiontext)),
        description: { [lang]: htmlRemoved(sub.questiontext) },
      }));
      definition.target = subquestions.map((sub) => ({
        id: slugOf(htmlRemoved(sub.answertext)),
        description: { [lang]: htmlRemoved(sub.answertext) },
      }));
      definition.correctResponsesPattern = [
        matchPairs(right)
          .map(([source, target]) => `${slugOf(source)}[.]${slugOf(target)}`)
          .join("[,]"),
      ];
      const pairs = matchPairs(str(summaryRaw));
      result = {
        response: pairs.map(([source, target]) => `${slugOf(source)}[.]${slugOf(target)}`).join("[,]"),
        success,
        completion,
      };
      if (pairs.length > 0) {
        result.extensions = {
          "http://learninglocker.net/xapi/cmi/matching/response": Object.fromEntries(pairs),
        };
      }
      break;
    }
    case "gapselect": {
      definition.interactionType = "sequencing";
      const words = [...summary.matchAll(/\{([^}]*)\}/g)].map((match) => match[1] ?? "");
      result = {
        response: words.join("[,]"),
        success,
        completion,
        extensions: { "http://learninglocker.net/xapi/cmi/sequencing/response": words },
      };
      break;
    }
    case "shortanswer":
      definition.interactionType = "fill-in";
      definition.correctResponsesPattern = [htmlRemoved(right)];
      result = {
        response: summary,
        success,
        completion,
        extensions: { "http://learninglocker.net/xapi/cmi/fill-in/response": summary },
      };
      break;
    default:
      return undefined;
  }
  return moduleStatement(ctx, course, {
    actor: userAgent(ctx, ctx.event.relateduserid),
    verb: verb(VERB.answered, "Answered"),
    object: {
      id: `${ctx.config.app_url}/question/question.php?cmid=${str(ctx.event.contextinstanceid)}&id=${str(question.id)}`,
      definition,
      objectType: "Activity",
    },
    inModule: true,
    parentsBefore: [quizAttemptActivity(ctx, course, attempt, quiz)],
    result,
  });
}

// ---- mod_scorm

function scormValues(ctx: Ctx, attemptId: unknown): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const row of ctx.repo.all("scorm_scoes_value", { attemptid: attemptId })) {
    const element = ctx.repo.findById("scorm_element", row.elementid);
    if (element) values.set(str(element.element), row.value);
  }
  return values;
}

const SCORM_STATUS_VERBS: Record<string, [string, string]> = {
  completed: [VERB.completed, "Completed"],
  passed: ["http://adlnet.gov/expapi/verbs/passed", "Passed"],
  failed: ["http://adlnet.gov/expapi/verbs/failed", "Failed"],
  incomplete: [VERB.attempted, "Attempted"],
  browsed: [VERB.experienced, "Experienced"],
  "not attempted": [VERB.attempted, "Attempted"],
};

function scormStatement(ctx: Ctx, withScore: boolean): Statement[] {
  const course = requireCourse(ctx);
  const { instance } = moduleParts(ctx, ctx.event.contextinstanceid);
  const values = scormValues(ctx, otherField(ctx, "attemptid"));
  const status = str(
    values.get("cmi.core.lesson_status") ?? values.get("cmi.completion_status") ?? "completed",
  );
  const [verbId, display] = SCORM_STATUS_VERBS[status] ?? [VERB.completed, "Completed"];
  const parts: ModuleStatement = {
    actor: userAgent(ctx, ctx.event.userid),
    verb: verb(verbId, display),
    object: activity(
      `${cmUrl(ctx, "scorm", ctx.event.contextinstanceid)}#sco`,
      TYPE.scormContentObject,
      courseLang(course),
      `${str(instance.name)} Content`,
    ),
    inModule: true,
  };
  if (withScore) {
    const raw = num(otherField(ctx, "cmivalue"));
    const min = num(values.get("cmi.core.score.min") ?? 0);
    const max = num(values.get("cmi.core.score.max") ?? 100);
    parts.result = { score: plainScore(raw, min, max) };
  }
  return [moduleStatement(ctx, course, parts)];
}

export const scoreraw_submitted = (ctx: Ctx) => scormStatement(ctx, true);
export const status_submitted = (ctx: Ctx) => scormStatement(ctx, false);
export const sco_launched = (ctx: Ctx) => onModule(ctx, VERB.launched, "Launched");

// ---- mod_survey

export function survey_report_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const { instance } = moduleParts(ctx, ctx.event.contextinstanceid);
  const action = str(ctx.event.other.action || "summary");
  const title = action.charAt(0).toUpperCase() + action.slice(1);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(
      `${ctx.config.app_url}/mod/survey/report.php?id=${str(ctx.event.contextinstanceid)}&action=${action}`,
      TYPE.report,
      courseLang(course),
      `${str(instance.name)} Report: ${title}`,
    ),
    inModule: true,
  }));
}

export const survey_response_submitted = (ctx: Ctx) => onModule(ctx, VERB.submit, "Submitted");

// ---- mod_wiki

function wikiPage(ctx: Ctx, course: Row, page: Row): Statement {
  return activity(
    `${ctx.config.app_url}/mod/wiki/view.php?pageid=${str(page.id)}`,
    TYPE.wikiPage,
    courseLang(course),
    str(page.title),
    stripTags(page.cachedcontent),
  );
}

function wikiDiscussion(ctx: Ctx, course: Row, page: Row): Statement {
  return activity(
    `${ctx.config.app_url}/mod/wiki/comments.php?pageid=${str(page.id)}`,
    TYPE.discussion,
    courseLang(course),
    `${str(page.title)} Discussion`,
  );
}

export function wiki_page_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("wiki_pages", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: wikiPage(ctx, course, page),
    inModule: true,
  }));
}

export function wiki_comments_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const page = ctx.repo.byId("wiki_pages", ctx.event.objectid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: wikiDiscussion(ctx, course, page),
    inModule: true,
    parentsBefore: [wikiPage(ctx, course, page)],
  }));
}

export function wiki_comment_created(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const comment = ctx.repo.byId("comments", ctx.event.objectid);
  const page = ctx.repo.byId("wiki_pages", comment.itemid);
  return moduleEvent(ctx, course, ctx.event.userid, VERB.commented, "Commented", () => ({
    object: wikiDiscussion(ctx, course, page),
    inModule: true,
    parentsBefore: [wikiPage(ctx, course, page)],
    result: { response: stripTags(comment.content) },
  }));
}

// ---- tool_certificate, tool_usertours, totara_program

function certificate(ctx: Ctx, lang: string): Statement {
  const code = str(otherField(ctx, "code"));
  return activity(
    `${ctx.config.app_url}/admin/tool/certificate/index.php?code=${code}`,
    TYPE.certificate,
    lang,
    `Certificate ${code}`,
  );
}

/** A certificate issued to or revoked from the related user, by the event's user. */
function certificateChange(ctx: Ctx, verbId: string, display: string): Statement[] {
  const lang = courseLang(eventCourse(ctx));
  return statementBy(ctx, ctx.event.relateduserid, verbId, display, () => ({
    object: certificate(ctx, lang),
    context: { ...siteContext(ctx, lang), instructor: userAgent(ctx, ctx.event.userid) },
  }));
}

export const certificate_revoked = (ctx: Ctx) => certificateChange(ctx, VERB.forfeited, "Forfeited");
export const certificate_issued = (ctx: Ctx) => certificateChange(ctx, VERB.achieved, "Achieved");

export function certificate_verified(ctx: Ctx): Statement[] {
  const lang = courseLang(eventCourse(ctx));
  return statementBy(ctx, ctx.event.userid, VERB.verified, "Verified", () => ({
    object: certificate(ctx, lang),
    context: siteContext(ctx, lang),
  }));
}

function tour(ctx: Ctx, verbId: string, display: string): Statement[] {
  const lang = courseLang(eventCourse(ctx));
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object: { id: str(otherField(ctx, "pageurl")), objectType: "Activity" },
    context: siteContext(ctx, lang),
  }));
}

export const tour_ended = (ctx: Ctx) => tour(ctx, VERB.toured, "Toured");
export const tour_started = (ctx: Ctx) => tour(ctx, VERB.started, "Started");

export function program_assigned(ctx: Ctx): Statement[] {
  const program = ctx.repo.byId("prog", ctx.event.objectid);
  const lang = courseLang(ctx.repo.findById("course", 1));
  return statementBy(ctx, ctx.event.userid, VERB.assign, "assigned", () => ({
    object: activity(
      `${ctx.config.app_url}/totara/program/view.php?id=${str(program.id)}`,
      TYPE.program,
      lang,
      str(program.fullname),
    ),
    context: siteContext(ctx, lang),
  }));
}
