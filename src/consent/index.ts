/**
 * Module `consent`: learners decide, per purpose, recipient and data category, with proof. It owns
 * - consent records with the structure of ISO/IEC TS 27560:2023 and W3C DPV terms (`record.ts`,
 *   `vocab.ts`), one per (learner pseudonym, agreement, purpose, recipient, data category);
 * - their state machine over DPV consent statuses, minors' joint consent with a guardian (`states.ts`,
 *   `minors.ts`), events appended never updated, the current state derived;
 * - signed portal links from providers (`links.ts`), receipts signed by the registry (`receipts.ts`,
 *   `keys.ts`), decisions and cohort queries for dataset builds (`registry.ts`);
 * - privacy notices and notifications to consumers (`notices*.ts`, `notify*.ts`).
 *
 * How other parts follow consent changes: every state change, in its transaction, writes a row to
 * `consent_outbox` (append-only; a reader keeps its own cursor, `registry.outbox(afterSeq)`) and calls
 * the listeners of `registry.onChange((change, tx) => …)`, which write with `tx` so that their rows
 * commit with the change (a throw rolls the change back, so listeners do no network I/O). A learner
 * leaves the valid set when `stateBefore` is given or renewed and `state` is anything else.
 */
export { PseudonymSet } from "./cohort.js";
export { ConsentError } from "./errors.js";
export { RegistryKeys } from "./keys.js";
export {
  checkLinkClaims,
  checkPseudonym,
  DEFAULT_AUDIENCE,
  LINK_CLOCK_SKEW_MS,
  LINK_TYP,
  MAX_LINK_LIFETIME_MS,
  type PortalLink,
  type PortalLinkClaims,
  PSEUDONYM,
  signPortalLink,
  verifyPortalLinkWith,
} from "./links.js";
export { type AgeClaim, ageOfDigitalConsent, checkAgeClaim, consentAgeOn } from "./minors.js";
export {
  buildNotice,
  CATEGORY_WORDS,
  canonicalNotice,
  categoryWords,
  deletionDueOf,
  LP_PURPOSE_WORDS,
  NOTICE_AUDIENCES,
  NOTICE_LANGUAGES,
  type Notice,
  type NoticeAgreement,
  type NoticeAudience,
  type NoticeContent,
  NoticeError,
  type NoticeLanguage,
  type NoticeOptions,
  type NoticeParticipant,
  type NoticeParty,
  type NoticeSection,
  type NoticeTerm,
  noticeHtml,
  noticeMarkdown,
  PURPOSE_WORDS,
  purposesOf,
  purposeWords,
  regionsOf,
  safeText,
  sealNotice,
  verifyNotice,
} from "./notices.js";
export {
  type CategorySource,
  catalogCategories,
  type NoticeAgreements,
  NoticeService,
  type NoticeSettings,
} from "./notices-store.js";
export {
  ConsentNotifier,
  type ConsentStateChange,
  checkWebhookUrl,
  type DeletionDutyOpener,
  type Notification,
  type NotificationBody,
  type NotificationState,
  type NotifierOptions,
  type NotifyAgreements,
  NotifyError,
  type OpenedDeletionDuty,
  SEALED_SECRET_PREFIX,
  type Webhook,
  type Withdrawal,
  type WithdrawalKind,
} from "./notify.js";
export {
  backoffDelay,
  claimDue,
  type DeliveryOptions,
  type DeliveryRound,
  NotificationDelivery,
  postToWebhook,
  scheduleRetry,
  type WebhookOutbox,
} from "./notify-delivery.js";
export {
  newWebhookSecret,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_S,
  signWebhook,
  verifyWebhookSignature,
} from "./notify-signature.js";
export {
  decodePayload,
  RECEIPT_TYP,
  type ReceiptPayload,
  type ReceiptVerification,
  type RegistryJwks,
  receiptHash,
  signReceipt,
  verifyReceipt,
} from "./receipts.js";
export {
  type ConsentRecord,
  type ConsentRequestInput,
  checkDataCategory,
  checkPurpose,
  checkRequestInput,
  DEFAULT_WITHDRAWAL_METHOD,
  type Recipient,
  type Retention,
  toIso27560,
} from "./record.js";
export {
  type ConsentChange,
  type ConsentDecision,
  type ConsentListener,
  ConsentRegistry,
  type ConsentRegistryOptions,
  type PermissionQuery,
  type StoredEvent,
} from "./registry.js";
export {
  ACTOR_ROLES,
  type ActorRole,
  applyEvent,
  type ConsentEventType,
  EVENT_TYPES,
  type EventFacts,
  fold,
  type GuardianAttestation,
  INITIAL,
  isMinorAt,
  type NoticeRef,
  type RecordStatus,
  TRANSITIONS,
  type Transition,
  transitionFor,
  validWindow,
} from "./states.js";
export {
  AGE_OF_DIGITAL_CONSENT,
  BROAD_RESEARCH,
  CONSENT_STATES,
  type ConsentState,
  DATA_CATEGORY_IRIS,
  DEFAULT_AGE_OF_DIGITAL_CONSENT,
  expand,
  LEGAL_BASIS,
  PD,
  PURPOSES,
  RECIPIENT_CATEGORIES,
  RECORD_SCHEMA_VERSION,
  STATES,
  VALID_STATES,
} from "./vocab.js";
