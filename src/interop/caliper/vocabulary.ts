/**
 * The Caliper → xAPI vocabulary tables: which Caliper actions each event type allows (Caliper 1.1 and
 * 1.2), the xAPI verb each action becomes, and the xAPI activity type each Caliper entity type becomes.
 *
 * 1EdTech and ADL have published no normative Caliper ↔ xAPI mapping (their 2016 comparison calls the two
 * "complementary"), so the choice is ours: an established verb or activity type where one means the same
 * thing (ADL, the xAPI video profile, Activity Streams, the TinCan registry), else the Caliper term's own
 * IRI, which means exactly the Caliper action or type and nothing more.
 */

export interface VerbTerm {
  id: string;
  display: string;
}

/** Caliper's own namespaces: actions (`caliper:action#X`) and terms (`caliper:X`, as in its JSON-LD context). */
export const CALIPER_ACTION = "http://purl.imsglobal.org/vocab/caliper/action#";
export const CALIPER_TERM = "http://purl.imsglobal.org/caliper/";

const ADL = "http://adlnet.gov/expapi/verbs/";
const ADL_V = "https://w3id.org/xapi/adl/verbs/";
const AS = "http://activitystrea.ms/schema/1.0/";
const TINCAN = "http://id.tincanapi.com/verb/";
export const VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/";

const v = (id: string, display: string): VerbTerm => ({ id, display });

/** Action → verb for every event type but the overrides below. Absent: the Caliper action IRI. */
export const ACTION_VERBS: Readonly<Record<string, VerbTerm>> = {
  Abandoned: v(`${ADL_V}abandoned`, "abandoned"),
  Accepted: v(`${AS}accept`, "accepted"),
  Added: v(`${AS}add`, "added"),
  Attached: v(`${AS}attach`, "attached"),
  Bookmarked: v(`${TINCAN}bookmarked`, "bookmarked"),
  Commented: v(`${ADL}commented`, "commented"),
  Completed: v(`${ADL}completed`, "completed"),
  Created: v(`${AS}create`, "created"),
  Declined: v(`${AS}reject`, "rejected"),
  Deleted: v(`${AS}delete`, "deleted"),
  Disliked: v(`${AS}dislike`, "disliked"),
  Downloaded: v(`${TINCAN}downloaded`, "downloaded"),
  Graded: v(`${ADL}scored`, "scored"),
  Launched: v(`${ADL}launched`, "launched"),
  Liked: v(`${AS}like`, "liked"),
  LoggedIn: v(`${ADL_V}logged-in`, "logged in"),
  LoggedOut: v(`${ADL_V}logged-out`, "logged out"),
  Modified: v(`${AS}update`, "updated"),
  NavigatedTo: v(`${AS}access`, "accessed"),
  Posted: v(`${AS}post`, "posted"),
  Ranked: v(`${TINCAN}rated`, "rated"),
  Replied: v(`${TINCAN}replied`, "replied"),
  Resumed: v(`${ADL}resumed`, "resumed"),
  Reviewed: v(`${TINCAN}reviewed`, "reviewed"),
  Saved: v(`${AS}save`, "saved"),
  Searched: v(`${AS}search`, "searched"),
  Subscribed: v(`${AS}follow`, "followed"),
  Unsubscribed: v(`${AS}stop-following`, "stopped following"),
  Archived: v(`${AS}archive`, "archived"),
  Removed: v(`${AS}remove`, "removed"),
  Sent: v(`${AS}send`, "sent"),
  Shared: v(`${ADL}shared`, "shared"),
  Skipped: v(`${TINCAN}skipped`, "skipped"),
  Started: v(`${AS}start`, "started"),
  Submitted: v(`${AS}submit`, "submitted"),
  Tagged: v(`${AS}tag`, "tagged"),
  Used: v(`${AS}use`, "used"),
  Viewed: v(`${TINCAN}viewed`, "viewed"),
};

/** Starting an assessment or a questionnaire is an attempt at it (ADL `attempted`), not a generic start. */
export const ATTEMPTED: VerbTerm = v(`${ADL}attempted`, "attempted");
export const ATTEMPT_EVENTS: ReadonlySet<string> = new Set([
  "AssessmentEvent",
  "AssessmentItemEvent",
  "AssignableEvent",
  "QuestionnaireEvent",
  "QuestionnaireItemEvent",
]);

/**
 * MediaEvent actions per the xAPI video profile: its verbs where it has them (played, paused, seeked,
 * completed), `interacted` for every player-state change (volume, speed, full screen, captions…), as the
 * profile prescribes.
 */
const PLAYED = v(`${VIDEO_VERBS}played`, "played");
const SEEKED = v(`${VIDEO_VERBS}seeked`, "seeked");
const INTERACTED = v(`${ADL}interacted`, "interacted");
export const MEDIA_VERBS: Readonly<Record<string, VerbTerm>> = {
  Started: PLAYED,
  Resumed: PLAYED,
  Restarted: PLAYED,
  Paused: v(`${VIDEO_VERBS}paused`, "paused"),
  Ended: v(`${ADL}completed`, "completed"),
  JumpedTo: SEEKED,
  ForwardedTo: SEEKED,
  Rewound: SEEKED,
  ChangedResolution: INTERACTED,
  ChangedSize: INTERACTED,
  ChangedSpeed: INTERACTED,
  ChangedVolume: INTERACTED,
  EnabledClosedCaptioning: INTERACTED,
  DisabledClosedCaptioning: INTERACTED,
  EnteredFullScreen: INTERACTED,
  ExitedFullScreen: INTERACTED,
  Muted: INTERACTED,
  Unmuted: INTERACTED,
  OpenedPopout: INTERACTED,
  ClosedPopout: INTERACTED,
};

/** Every action of the Caliper 1.1/1.2 action vocabulary (the generic `Event` may carry any of them). */
export const CALIPER_ACTIONS: ReadonlySet<string> = new Set([
  "Abandoned",
  "Accepted",
  "Activated",
  "Added",
  "Archived",
  "Attached",
  "Bookmarked",
  "ChangedResolution",
  "ChangedSize",
  "ChangedSpeed",
  "ChangedVolume",
  "Classified",
  "ClosedPopout",
  "Commented",
  "Completed",
  "Copied",
  "Created",
  "Deactivated",
  "Declined",
  "Deleted",
  "Described",
  "DisabledClosedCaptioning",
  "Disliked",
  "Downloaded",
  "EnabledClosedCaptioning",
  "Ended",
  "EnteredFullScreen",
  "ExitedFullScreen",
  "ForwardedTo",
  "Graded",
  "Hid",
  "Highlighted",
  "Identified",
  "JumpedTo",
  "Launched",
  "Liked",
  "Linked",
  "LoggedIn",
  "LoggedOut",
  "MarkedAsRead",
  "MarkedAsUnRead",
  "MarkedAsUnread",
  "Modified",
  "Muted",
  "NavigatedTo",
  "OpenedPopout",
  "OptedIn",
  "OptedOut",
  "Paused",
  "Posted",
  "Printed",
  "Published",
  "Questioned",
  "Ranked",
  "Recommended",
  "Removed",
  "Replied",
  "Reset",
  "Restarted",
  "Restored",
  "Resumed",
  "Retrieved",
  "Returned",
  "Reviewed",
  "Rewound",
  "Saved",
  "Searched",
  "Sent",
  "Shared",
  "Showed",
  "Skipped",
  "Started",
  "Submitted",
  "Subscribed",
  "Tagged",
  "TimedOut",
  "Unarchived",
  "Unmuted",
  "Unpublished",
  "Unsubscribed",
  "Uploaded",
  "Used",
  "Viewed",
]);

/** The actions each event type allows (Caliper 1.2 §4, with 1.1's ReadingEvent). `Event` allows any. */
export const EVENT_ACTIONS: Readonly<Record<string, readonly string[] | "any">> = {
  Event: "any",
  AnnotationEvent: ["Bookmarked", "Highlighted", "Shared", "Tagged"],
  AssessmentEvent: ["Started", "Paused", "Resumed", "Restarted", "Reset", "Submitted"],
  AssessmentItemEvent: ["Started", "Skipped", "Completed"],
  AssignableEvent: ["Activated", "Deactivated", "Started", "Completed", "Submitted", "Reviewed"],
  FeedbackEvent: ["Commented", "Ranked"],
  ForumEvent: ["Subscribed", "Unsubscribed"],
  GradeEvent: ["Graded"],
  MediaEvent: Object.keys(MEDIA_VERBS),
  MessageEvent: ["Posted", "MarkedAsRead", "MarkedAsUnRead", "MarkedAsUnread"],
  NavigationEvent: ["NavigatedTo"],
  QuestionnaireEvent: ["Started", "Submitted"],
  QuestionnaireItemEvent: ["Started", "Skipped", "Completed"],
  ReadingEvent: ["Searched", "Viewed"],
  ResourceManagementEvent: [
    "Archived",
    "Copied",
    "Created",
    "Deleted",
    "Described",
    "Downloaded",
    "Modified",
    "Printed",
    "Published",
    "Restored",
    "Retrieved",
    "Saved",
    "Unarchived",
    "Unpublished",
    "Uploaded",
  ],
  SearchEvent: ["Searched"],
  SessionEvent: ["LoggedIn", "LoggedOut", "TimedOut"],
  SurveyEvent: ["OptedIn", "OptedOut"],
  SurveyInvitationEvent: ["Accepted", "Declined", "Sent"],
  ThreadEvent: ["MarkedAsRead", "MarkedAsUnRead", "MarkedAsUnread"],
  ToolLaunchEvent: ["Launched", "Returned"],
  ToolUseEvent: ["Used"],
  ViewEvent: ["Viewed"],
};

const ADL_A = "http://adlnet.gov/expapi/activities/";
const AS_A = "http://activitystrea.ms/schema/1.0/";
const TINCAN_A = "http://id.tincanapi.com/activitytype/";
export const VIDEO_ACTIVITY = "https://w3id.org/xapi/video/activity-type/video";

/** Entity type → activity type. Absent: the Caliper type's own IRI (`caliper:X`). */
export const ENTITY_TYPES: Readonly<Record<string, string>> = {
  Assessment: `${ADL_A}assessment`,
  AssessmentItem: `${ADL_A}question`,
  Attempt: `${ADL_A}attempt`,
  AudioObject: `${AS_A}audio`,
  Comment: `${AS_A}comment`,
  CourseOffering: `${ADL_A}course`,
  CourseSection: `${ADL_A}course`,
  DigitalResource: `${TINCAN_A}resource`,
  DigitalResourceCollection: `${TINCAN_A}collection-simple`,
  Collection: `${TINCAN_A}collection-simple`,
  Document: `${TINCAN_A}document`,
  Forum: `${TINCAN_A}discussion`,
  Group: `${AS_A}group`,
  ImageObject: `${AS_A}image`,
  LearningObjective: `${ADL_A}objective`,
  Link: `${ADL_A}link`,
  LtiLink: `${ADL_A}link`,
  MediaObject: `${ADL_A}media`,
  Message: `${AS_A}note`,
  Organization: `${AS_A}organization`,
  Page: `${AS_A}page`,
  Question: `${ADL_A}question`,
  Questionnaire: `${TINCAN_A}survey`,
  QuestionnaireItem: `${ADL_A}question`,
  SoftwareApplication: `${AS_A}application`,
  Survey: `${TINCAN_A}survey`,
  Thread: `${TINCAN_A}discussion`,
  VideoObject: VIDEO_ACTIVITY,
  WebPage: `${AS_A}page`,
};

/** Caliper 1.1/1.2 entity types: those without an entry above become their own IRI `caliper:X`. */
export const CALIPER_ENTITY_TYPES: readonly string[] = [
  "Agent",
  "AggregateMeasure",
  "AggregateMeasureCollection",
  "Annotation",
  "Assessment",
  "AssessmentItem",
  "AssignableDigitalResource",
  "Attempt",
  "AudioObject",
  "BookmarkAnnotation",
  "Chapter",
  "Collection",
  "Comment",
  "CourseOffering",
  "CourseSection",
  "DateTimeQuestion",
  "DateTimeResponse",
  "DigitalResource",
  "DigitalResourceCollection",
  "Document",
  "Entity",
  "FillinBlankResponse",
  "Forum",
  "Frame",
  "Group",
  "HighlightAnnotation",
  "ImageObject",
  "LearningObjective",
  "LikertScale",
  "Link",
  "LtiLink",
  "LtiSession",
  "MediaLocation",
  "MediaObject",
  "Membership",
  "Message",
  "MultipleChoiceResponse",
  "MultipleResponseResponse",
  "MultiselectQuestion",
  "MultiselectResponse",
  "MultiselectScale",
  "NumericScale",
  "OpenEndedQuestion",
  "OpenEndedResponse",
  "Organization",
  "Page",
  "Person",
  "Query",
  "Question",
  "Questionnaire",
  "QuestionnaireItem",
  "Rating",
  "RatingScaleQuestion",
  "RatingScaleResponse",
  "Reading",
  "Response",
  "Result",
  "Scale",
  "Score",
  "SearchResponse",
  "SelectTextResponse",
  "Session",
  "SharedAnnotation",
  "SoftwareApplication",
  "Survey",
  "SurveyInvitation",
  "SystemIdentifier",
  "TagAnnotation",
  "TextPositionSelector",
  "Thread",
  "TrueFalseResponse",
  "VideoObject",
  "WebPage",
];

/** The activity type of a Caliper entity type: ours, else Caliper's own IRI, else the type when an IRI. */
export function activityTypeOf(type: string): string | undefined {
  const mapped = ENTITY_TYPES[type];
  if (mapped) return mapped;
  if (CALIPER_ENTITY_TYPES.includes(type)) return `${CALIPER_TERM}${type}`;
  return /^[a-z][a-z0-9+.-]*:\S+$/i.test(type) ? type : undefined;
}

/** Extensions this converter writes, all named by their Caliper term's IRI or the xAPI video profile's. */
export const EXT = {
  edApp: `${CALIPER_TERM}edApp`,
  session: `${CALIPER_TERM}session`,
  federatedSession: `${CALIPER_TERM}federatedSession`,
  membership: `${CALIPER_TERM}membership`,
  extensions: `${CALIPER_TERM}extensions`,
  generated: `${CALIPER_TERM}generated`,
  target: `${CALIPER_TERM}target`,
  referrer: `${CALIPER_TERM}referrer`,
  scoredBy: `${CALIPER_TERM}scoredBy`,
  comment: `${CALIPER_TERM}comment`,
  eventType: `${CALIPER_TERM}Event`,
  videoTime: "https://w3id.org/xapi/video/extensions/time",
  videoLength: "https://w3id.org/xapi/video/extensions/length",
  videoSessionId: "https://w3id.org/xapi/video/extensions/session-id",
} as const;

/** The xAPI video profile's own activity, put in `category` of every video statement as it requires. */
export const VIDEO_PROFILE = "https://w3id.org/xapi/video";
