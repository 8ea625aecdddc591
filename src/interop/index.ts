/**
 * Interop: providers' native learning traces (Open edX, Moodle, Caliper, SCORM, cmi5, CSV, OULAD, and
 * statements already in xAPI) converted into xAPI statements, and statements checked against xAPI
 * Profiles. The module owns the converter contract, the shared pipeline (reading any JSON layout,
 * validation, errors file, counts, progress), storing into an LRS in resumable batches (`ingest`),
 * the registry of formats, and the registry of the vocabulary converters emit. Converters are pure;
 * I/O lives in the reader, the pipeline and ingest.
 */

export * from "./converter.js";
export { formatNamed, formats, xapiFormat } from "./formats.js";
export * from "./ingest.js";
export * from "./pipeline.js";
export * as profiles from "./profiles/index.js";
export { type ByteMeter, isMalformed, MalformedRecord, openInput, readJsonRecords } from "./reader.js";
export * from "./vocabulary.js";
