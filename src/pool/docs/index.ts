/**
 * `pool/docs`: the documents of a built dataset version, as pure functions of its description
 * (`VersionDescription`): Croissant 1.1 metadata with RAI fields and the agreement's ODRL policy and
 * its checker; the Hugging Face dataset card and the datasheet; the lineage manifest (Merkle root over
 * the records, streaming) and its verification. No I/O and no clock: equal inputs give equal bytes.
 */
import { datasetCard, datasheet } from "./card.js";
import { buildCroissant } from "./croissant.js";
import type { VersionDescription } from "./description.js";
import { stableJson } from "./json.js";

export { datasetCard, datasheet, frontMatter, sizeCategory } from "./card.js";
export {
  buildCroissant,
  CROISSANT_CONTEXT,
  CROISSANT_RAI_SPEC,
  CROISSANT_SPEC,
  type CroissantProblem,
  checkCroissant,
  ODRL_CONTEXT,
} from "./croissant.js";
export type * from "./description.js";
export { stableJson } from "./json.js";
export {
  buildLineage,
  documentEntry,
  LINEAGE_FORMAT,
  type LineageDocument,
  type LineageFile,
  type LineageManifest,
  type LineageMismatch,
  type LineageOptions,
  type LineageVerification,
  lineageOrder,
  MerkleBuilder,
  type RecordSource,
  recordHash,
  type VerifyInputs,
  verifyLineage,
} from "./lineage.js";

/** The text documents of a version, by file name (the lineage manifest needs the records: `buildLineage`). */
export function versionDocuments(
  d: VersionDescription,
): Record<"croissant.json" | "README.md" | "DATASHEET.md", string> {
  return {
    "croissant.json": stableJson(buildCroissant(d)),
    "README.md": datasetCard(d),
    "DATASHEET.md": datasheet(d),
  };
}
