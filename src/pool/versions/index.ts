/**
 * `pool/versions`: dataset versions over time. It owns the registry of built versions (migration 13:
 * `dataset_versions`, their members, their append-only history `dataset_version_events`, and the
 * `dataset_notifications` outbox): recording a build with its inventory and next version number,
 * listing and showing versions, downloads decided by enforcement (`export-download`) for the consumer
 * the agreement names, superseding versions when a member withdraws (by sweep or in the consent change's
 * own transaction) with notifications to their holders over the consent webhooks, and deleting the
 * folders of versions whose agreement ended, with sealed evidence. Pure rules in `rules.ts`.
 */
export {
  type DatasetDeliveryOptions,
  type DatasetNotification,
  DatasetNotifications,
  type HolderWebhooks,
} from "./notifications.js";
export {
  type DatasetVersion,
  type DatasetVersionDetail,
  DatasetVersions,
  type DatasetVersionsOptions,
  type DeleteResult,
  type DownloadGrant,
  type RecordedBuild,
  type RecordInput,
  type SupersedeResult,
  VERSION_STATES,
  type VersionAgreements,
  type VersionEnforcement,
  VersionError,
  type VersionEvent,
  type VersionEventKind,
  type VersionState,
  type VersionSummary,
  type VersionWithdrawals,
} from "./registry.js";
export {
  checkFilePath,
  checkVersionNumber,
  type DeletionEvidence,
  deletionDigest,
  type InventoryFile,
  inventory,
  nextVersionAfter,
  verifyDeletionEvidence,
} from "./rules.js";
