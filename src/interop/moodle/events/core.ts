/** Transformers of Moodle core events (logstore_xapi `events/core/*`). */
import type { Row } from "../repository.js";
import {
  activity,
  type Ctx,
  contextBase,
  courseActivity,
  courseLang,
  eventCourse,
  moduleActivity,
  moduleParents,
  otherField,
  requireCourse,
  type Statement,
  sectionActivity,
  siteActivity,
  statementBy,
  str,
  stripTags,
  truthy,
  userAgent,
} from "../statement.js";
import { TYPE, VERB, X } from "../vocabulary.js";

/** Context of an event about something of a course: the site as category, the course as parent. */
export function courseContext(
  ctx: Ctx,
  course: Row | undefined,
  extra: Record<string, unknown> = {},
): Statement {
  const lang = courseLang(course);
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (course) contextActivities.parent = [courseActivity(ctx, course)];
  return { ...contextBase(ctx, lang, extra), contextActivities };
}

/**
 * Context of an event about a course module or something in it: the site as category; as parents,
 * `parentsBefore`, then the module itself when `inModule`, its section and the course.
 */
export function moduleContext(
  ctx: Ctx,
  course: Row,
  cmid: unknown,
  inModule: boolean,
  extensions: Record<string, unknown> = {},
  parentsBefore: Statement[] = [],
): Statement {
  return {
    ...contextBase(ctx, courseLang(course), extensions),
    contextActivities: {
      category: [siteActivity(ctx)],
      parent: [...parentsBefore, ...moduleParents(ctx, course, cmid, inModule)],
    },
  };
}

export function siteContext(ctx: Ctx, lang: string, extra: Record<string, unknown> = {}): Statement {
  return { ...contextBase(ctx, lang, extra), contextActivities: { category: [siteActivity(ctx)] } };
}

function badgeActivity(ctx: Ctx, badge: Row, lang: string): Statement {
  const type = Number(badge.type) === 1 ? "Global" : "Course";
  return activity(
    `${ctx.config.app_url}/badges/overview.php?id=${str(badge.id)}`,
    TYPE.badge,
    lang,
    str(badge.name),
    str(badge.description),
    { [X.badgeType]: type, [X.badgeVersion]: badge.version ?? null },
  );
}

function badgeParts(ctx: Ctx): { badge: Row; course: Row | undefined; lang: string } {
  const badge = ctx.repo.byId("badge", ctx.event.objectid);
  const course = truthy(badge.courseid) ? ctx.repo.byId("course", badge.courseid) : undefined;
  const lang = truthy(badge.language)
    ? str(badge.language)
    : course
      ? courseLang(course)
      : ctx.config.source_lang;
  return { badge, course, lang };
}

/** The course as the badge events name it: with its summary as description. */
function badgeCourse(ctx: Ctx, course: Row, lang: string): Statement {
  return activity(
    `${ctx.config.app_url}/course/view.php?id=${str(course.id)}`,
    TYPE.course,
    lang,
    str(course.fullname),
    course.summary === undefined || course.summary === null ? undefined : str(course.summary),
  );
}

export function badge_awarded(ctx: Ctx): Statement[] {
  const { badge, course, lang } = badgeParts(ctx);
  const issuedId = otherField(ctx, "badgeissuedid");
  const manual = ctx.repo.findById("badge_manual_award", issuedId);
  const awarder = manual ? userAgent(ctx, manual.issuerid) : "System";
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (course) contextActivities.parent = [badgeCourse(ctx, course, lang)];
  return statementBy(ctx, ctx.event.relateduserid, VERB.achieved, "Achieved", () => ({
    object: badgeActivity(ctx, badge, lang),
    result: { response: badge.message ?? null },
    context: {
      ...contextBase(ctx, lang, { [X.badgeAssignmentMethod]: manual ? "Manual" : "Automatic" }),
      instructor: awarder,
      contextActivities,
    },
  }));
}

function badgeChange(ctx: Ctx, verbId: string, display: string): Statement[] {
  const { badge, course, lang } = badgeParts(ctx);
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (course) contextActivities.parent = [courseActivity(ctx, course)];
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object: badgeActivity(ctx, badge, lang),
    context: { ...contextBase(ctx, lang), contextActivities },
  }));
}

export const badge_updated = (ctx: Ctx) => badgeChange(ctx, VERB.edited, "Edited");

export function badge_revoked(ctx: Ctx): Statement[] {
  const { badge, course, lang } = badgeParts(ctx);
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (course) contextActivities.parent = [badgeCourse(ctx, course, lang)];
  return statementBy(ctx, ctx.event.relateduserid, VERB.forfeited, "Forfeited", () => ({
    object: badgeActivity(ctx, badge, lang),
    context: {
      // A revocation is always someone's doing: the plugin reports it as a manual assignment method.
      ...contextBase(ctx, lang, { [X.badgeAssignmentMethod]: "Manual" }),
      instructor: userAgent(ctx, ctx.event.userid),
      contextActivities,
    },
  }));
}

export const badge_viewed = (ctx: Ctx) => badgeChange(ctx, VERB.viewed, "Viewed");

function calendarEvent(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = eventCourse(ctx);
  const row = ctx.repo.findById("event", ctx.event.objectid);
  const name = row ? str(row.name) : str(ctx.event.other.name);
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object: activity(
      `${ctx.config.app_url}/calendar/view.php?id=${str(ctx.event.objectid)}`,
      TYPE.calendarEvent,
      courseLang(course),
      name,
    ),
    context: courseContext(ctx, course),
  }));
}

export const calendar_event_created = (ctx: Ctx) => calendarEvent(ctx, VERB.create, "Created");
export const calendar_event_updated = (ctx: Ctx) => calendarEvent(ctx, VERB.edited, "Edited");
export const calendar_event_deleted = (ctx: Ctx) => calendarEvent(ctx, VERB.delete, "Deleted");

function calendarSubscription(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = eventCourse(ctx);
  const row = ctx.repo.findById("event_subscriptions", ctx.event.objectid);
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object: activity(
      `${ctx.config.app_url}/calendar/subscription?id=${str(ctx.event.objectid)}`,
      TYPE.calendarSubscription,
      courseLang(course),
      row && truthy(row.name) ? str(row.name) : undefined,
    ),
    context: courseContext(ctx, course),
  }));
}

export const calendar_subscription_created = (ctx: Ctx) => calendarSubscription(ctx, VERB.create, "Created");
export const calendar_subscription_updated = (ctx: Ctx) => calendarSubscription(ctx, VERB.edited, "Edited");
export const calendar_subscription_deleted = (ctx: Ctx) => calendarSubscription(ctx, VERB.delete, "Deleted");

function categoryActivity(ctx: Ctx, category: Row, lang: string): Statement {
  return activity(
    `${ctx.config.app_url}/course/management.php?categoryid=${str(category.id)}`,
    TYPE.courseCategory,
    lang,
    str(category.name),
    category.description === undefined || category.description === null
      ? undefined
      : stripTags(category.description),
  );
}

export function course_category_created(ctx: Ctx): Statement[] {
  const lang = courseLang(ctx.repo.findById("course", 1));
  const category = ctx.repo.byId("course_categories", ctx.event.objectid);
  const contextActivities: Record<string, unknown> = { category: [siteActivity(ctx)] };
  if (truthy(category.parent)) {
    contextActivities.parent = [
      categoryActivity(ctx, ctx.repo.byId("course_categories", category.parent), lang),
    ];
  }
  return statementBy(ctx, ctx.event.userid, VERB.create, "Created", () => ({
    object: categoryActivity(ctx, category, lang),
    context: { ...contextBase(ctx, lang), contextActivities },
  }));
}

export function course_completion_updated(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  return statementBy(ctx, ctx.event.userid, VERB.edited, "Edited", () => ({
    object: activity(
      `${ctx.config.app_url}/course/completion.php?id=${str(course.id)}`,
      TYPE.courseCompletionCriteria,
      courseLang(course),
      `${str(course.fullname)} Completion Criteria`,
    ),
    context: courseContext(ctx, course),
  }));
}

function courseChange(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = ctx.repo.byId("course", ctx.event.objectid ?? ctx.event.courseid);
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object: courseActivity(ctx, course),
    context: siteContext(ctx, courseLang(course)),
  }));
}

export const course_created = (ctx: Ctx) => courseChange(ctx, VERB.create, "Created");
export const course_updated = (ctx: Ctx) => courseChange(ctx, VERB.edited, "Edited");

export function course_completed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  return statementBy(ctx, ctx.event.relateduserid, VERB.completed, "Completed", () => ({
    object: courseActivity(ctx, course),
    context: siteContext(ctx, courseLang(course)),
  }));
}

export function course_viewed(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  return statementBy(ctx, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: courseActivity(ctx, course),
    context: siteContext(ctx, courseLang(course)),
  }));
}

export function course_module_created(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const cmid = ctx.event.contextinstanceid ?? ctx.event.objectid;
  return statementBy(ctx, ctx.event.userid, VERB.create, "Created", () => ({
    object: moduleActivity(ctx, course, cmid),
    context: moduleContext(ctx, course, cmid, false),
  }));
}

export function course_module_completion_updated(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const completion = ctx.repo.byId("course_modules_completion", ctx.event.objectid);
  const cmid = completion.coursemoduleid ?? ctx.event.contextinstanceid;
  const state = Number(completion.completionstate);
  // Moodle's states: 0 incomplete, 1 complete, 2 complete and passed, 3 complete and failed.
  const result: Record<string, unknown> = { completion: state !== 0 };
  if (state === 2) result.success = true;
  if (state === 3) result.success = false;
  const [verbId, display] = state === 0 ? [VERB.incomplete, "Incomplete"] : [VERB.completed, "Completed"];
  return statementBy(ctx, completion.userid ?? ctx.event.relateduserid, verbId, display, () => ({
    object: moduleActivity(ctx, course, cmid),
    result,
    context: moduleContext(ctx, course, cmid, false),
  }));
}

export function course_section_created(ctx: Ctx): Statement[] {
  const course = requireCourse(ctx);
  const section = ctx.repo.byId("course_sections", ctx.event.objectid);
  return statementBy(ctx, ctx.event.userid, VERB.create, "Created", () => ({
    object: sectionActivity(ctx, course, section),
    context: courseContext(ctx, course),
  }));
}

function groupActivity(ctx: Ctx, groupId: unknown, lang: string, group: Row | undefined): Statement {
  return activity(
    `${ctx.config.app_url}/group/index.php?id=${str(groupId)}`,
    TYPE.group,
    lang,
    group ? str(group.name) : undefined,
  );
}

export function group_created(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const group = ctx.repo.byId("groups", ctx.event.objectid);
  return statementBy(ctx, ctx.event.userid, VERB.create, "Created", () => ({
    object: groupActivity(ctx, ctx.event.objectid, courseLang(course), group),
    context: courseContext(ctx, course),
  }));
}

export function group_deleted(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  return statementBy(ctx, ctx.event.userid, VERB.delete, "Deleted", () => ({
    object: groupActivity(ctx, ctx.event.objectid, courseLang(course), undefined),
    context: courseContext(ctx, course),
  }));
}

function groupMembership(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = eventCourse(ctx);
  const group = ctx.repo.byId("groups", ctx.event.objectid);
  return statementBy(ctx, ctx.event.relateduserid, verbId, display, () => ({
    object: groupActivity(ctx, ctx.event.objectid, courseLang(course), group),
    context: { ...courseContext(ctx, course), instructor: userAgent(ctx, ctx.event.userid) },
  }));
}

export const group_member_added = (ctx: Ctx) => groupMembership(ctx, VERB.join, "Joined");
export const group_member_removed = (ctx: Ctx) => groupMembership(ctx, VERB.leave, "Left");

function messageActivity(ctx: Ctx, message: Row, lang: string): Statement {
  return activity(
    `${ctx.config.app_url}/message?id=${str(message.id)}`,
    TYPE.chatMessage,
    lang,
    str(message.subject),
    str(message.fullmessage),
  );
}

export function group_message_sent(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const lang = courseLang(course);
  const message = ctx.repo.byId("messages", ctx.event.objectid);
  const conversation = ctx.repo.byId("message_conversations", message.conversationid);
  const group = ctx.repo.byId("groups", conversation.itemid);
  const members = ctx.repo
    .all("groups_members", { groupid: group.id })
    .map((member) => userAgent(ctx, member.userid));
  const context = courseContext(ctx, course, {
    [X.to]: { objectType: "Group", name: str(group.name), member: members },
  });
  (context.contextActivities as Record<string, unknown>).grouping = [
    groupActivity(ctx, group.id, lang, group),
  ];
  return statementBy(ctx, ctx.event.userid, VERB.send, "Sent", () => ({
    object: messageActivity(ctx, message, lang),
    context,
  }));
}

export function message_sent(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const message = ctx.repo.byId("messages", ctx.event.objectid);
  return statementBy(ctx, ctx.event.userid, VERB.send, "Sent", () => ({
    object: messageActivity(ctx, message, courseLang(course)),
    context: courseContext(ctx, course, { [X.to]: userAgent(ctx, ctx.event.relateduserid) }),
  }));
}

export function message_viewed(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const message = ctx.repo.byId("messages", ctx.event.other.messageid ?? ctx.event.objectid);
  return statementBy(ctx, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: messageActivity(ctx, message, courseLang(course)),
    context: courseContext(ctx, course),
  }));
}

function noteChange(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = eventCourse(ctx);
  const note = ctx.repo.byId("post", ctx.event.objectid);
  const object = activity(
    `${ctx.config.app_url}/notes/view.php?id=${str(note.id)}`,
    TYPE.note,
    courseLang(course),
    str(note.subject),
    stripTags(note.content),
    {
      [X.noteSubject]: userAgent(ctx, ctx.event.relateduserid),
      [X.noteType]: truthy(note.publishstate) ? str(note.publishstate) : "course",
    },
  );
  return statementBy(ctx, ctx.event.userid, verbId, display, () => ({
    object,
    context: courseContext(ctx, course),
  }));
}

export const note_created = (ctx: Ctx) => noteChange(ctx, VERB.create, "Created");
export const note_updated = (ctx: Ctx) => noteChange(ctx, VERB.edited, "Edited");

export function notes_viewed(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const subject = truthy(ctx.event.relateduserid) ? userAgent(ctx, ctx.event.relateduserid) : undefined;
  return statementBy(ctx, ctx.event.userid, VERB.viewed, "Viewed", () => ({
    object: activity(
      `${ctx.config.app_url}/notes/index.php`,
      TYPE.webpage,
      courseLang(course),
      "Notes",
      undefined,
      subject ? { [X.noteSubject]: subject } : undefined,
    ),
    context: courseContext(ctx, course, subject ? { [X.noteSubjectScope]: subject } : {}),
  }));
}

export function questions_imported(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  const format = str(otherField(ctx, "format"));
  return statementBy(ctx, ctx.event.userid, VERB.imported, "Imported", () => ({
    object: activity(
      `${ctx.config.app_url}/question/bank/importquestions/import.php`,
      TYPE.file,
      courseLang(course),
      `Questions in ${format} format`,
    ),
    context: courseContext(ctx, course),
  }));
}

export function search_results_viewed(ctx: Ctx): Statement[] {
  const course = eventCourse(ctx);
  return statementBy(ctx, ctx.event.userid, VERB.searched, "Searched", () => ({
    object: activity(
      `${ctx.config.app_url}/search/index.php`,
      TYPE.webpage,
      courseLang(course),
      "Global Search",
    ),
    result: { response: str(otherField(ctx, "q")) },
    context: courseContext(ctx, course),
  }));
}

export function user_created(ctx: Ctx): Statement[] {
  const lang = courseLang(ctx.repo.findById("course", 1));
  return statementBy(
    ctx,
    ctx.event.relateduserid ?? ctx.event.objectid,
    VERB.registered,
    "Registered",
    () => ({
      object: siteActivity(ctx),
      context: siteContext(ctx, lang),
    }),
  );
}

function enrolment(ctx: Ctx, verbId: string, display: string): Statement[] {
  const course = requireCourse(ctx);
  const extensions: Record<string, unknown> = {};
  if (ctx.event.other.enrol !== undefined) extensions[X.enrolmentType] = ctx.event.other.enrol;
  return statementBy(ctx, ctx.event.relateduserid, verbId, display, () => ({
    object: courseActivity(ctx, course),
    context: {
      ...siteContext(ctx, courseLang(course), extensions),
      instructor: userAgent(ctx, ctx.event.userid),
    },
  }));
}

export const user_enrolment_created = (ctx: Ctx) => enrolment(ctx, VERB.enrolled, "Enrolled");
export const user_enrolment_deleted = (ctx: Ctx) => enrolment(ctx, VERB.unenrolled, "Unenrolled");

export function user_enrolment_updated(ctx: Ctx): Statement[] {
  const row = ctx.repo.byId("user_enrolments", ctx.event.objectid);
  return Number(row.status) === 0
    ? enrolment(ctx, VERB.resumed, "Resumed")
    : enrolment(ctx, VERB.suspended, "Suspended");
}

export function user_loggedin(ctx: Ctx): Statement[] {
  const lang = courseLang(ctx.repo.findById("course", 1));
  const extensions: Record<string, unknown> = {};
  if (ctx.event.eventname === "\\core\\event\\user_loggedinas") {
    extensions[X.as] = userAgent(ctx, ctx.event.relateduserid);
  }
  return statementBy(ctx, ctx.event.userid, VERB.login, "Logged In", () => ({
    object: siteActivity(ctx),
    context: contextBase(ctx, lang, extensions),
  }));
}

export function user_loggedout(ctx: Ctx): Statement[] {
  const lang = courseLang(ctx.repo.findById("course", 1));
  return statementBy(ctx, ctx.event.userid, VERB.logout, "Logged Out", () => ({
    object: siteActivity(ctx),
    context: contextBase(ctx, lang),
  }));
}
