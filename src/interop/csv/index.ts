/**
 * The `csv` format: any CSV export (a spreadsheet, an LMS report) turned into xAPI by a declarative
 * mapping file (JSON, given as the converter's configuration) instead of code. Owns the mapping's
 * checking and compilation (`mapping.ts`), the row → statement rule (`convert.ts`), date formats and
 * time zones (`time.ts`) and the streaming CSV reader (`read.ts`, also used by `oulad`).
 */
import { ConversionError, type Converter, type Format, outcomeOf, type SourceRecord } from "../converter.js";
import { convertRow } from "./convert.js";
import { type CompiledMapping, compileMapping, MappingError, type Row } from "./mapping.js";
import { type CsvRow, fileLabel, readCsvRows } from "./read.js";

export type { CompiledMapping, Row } from "./mapping.js";
export { compileMapping, MappingError } from "./mapping.js";
export { type CsvReadOptions, type CsvRow, fileLabel, readCsvRows } from "./read.js";
export { isoTimestamp, timeParser, zoneOffset } from "./time.js";

/** A CSV record as `read` yields it: the row, or the reason the reader could not make one of its line. */
export type CsvRecordValue = Row | { malformed: string };

function mappingOf(config: unknown): CompiledMapping {
  if (config === undefined) {
    throw new MappingError("mapping", "the csv format needs a mapping file (--config mapping.json)");
  }
  return compileMapping(config);
}

/** The header must hold every column the mapping reads: a typo fails the run before its first row. */
function checkColumns(mapping: CompiledMapping, file: string, header: string[]): void {
  const known = new Set(header);
  const absent = [...mapping.columns].filter((column) => !known.has(column));
  if (absent.length > 0) {
    throw new Error(
      `${file}: the mapping reads ${absent.length > 1 ? "columns" : "column"} ${absent.map((c) => `'${c}'`).join(", ")} ` +
        `that the header does not have (it has ${header.map((c) => `'${c}'`).join(", ")})`,
    );
  }
}

/** The rows of a CSV file as source records (position: file and line), in constant memory. */
export async function* readCsvRecords(input: string, config: unknown): AsyncGenerator<SourceRecord> {
  const mapping = mappingOf(config);
  const file = fileLabel(input);
  const rows = readCsvRows(input, mapping.csv, (header) => checkColumns(mapping, file, header));
  for await (const row of rows) yield recordOf(file, row);
}

function recordOf(file: string, row: CsvRow): SourceRecord {
  const value: CsvRecordValue = row.malformed
    ? { malformed: row.malformed }
    : { line: row.line, cells: row.cells };
  return { value, position: { file, line: row.line } };
}

/** The converter of rows under one mapping: one statement per row, or skipped/rejected with a reason. */
export function csvConverter(config: unknown): Converter {
  const mapping = mappingOf(config);
  const convert = (value: unknown, position: SourceRecord["position"]) => {
    const v = value as Partial<Row> & { malformed?: string };
    if (typeof v.malformed === "string") throw new ConversionError(v.malformed);
    if (typeof v !== "object" || v === null || typeof v.cells !== "object") {
      throw new ConversionError("not a CSV row (the csv format reads its input with its own reader)");
    }
    return [
      convertRow(mapping, { line: v.line ?? position.line ?? 0, cells: v.cells as Record<string, string> }),
    ];
  };
  return {
    async *run(records) {
      for await (const record of records) yield outcomeOf(convert, record);
    },
  };
}

export const csvFormat: Format = {
  name: "csv",
  description: "CSV rows mapped to xAPI statements by a declarative mapping file (JSON, --config)",
  read: readCsvRecords,
  converter: csvConverter,
};

/**
 * The csv format emits only the IRIs its mapping file names: it has no vocabulary of its own. The
 * verbs, activity types and extensions of a mapping are listed by `mappingVocabulary`.
 */
export const csvVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: [],
  activityTypes: [],
  extensions: [],
};

/** The verb, activity-type (constant ones) and extension IRIs one mapping can emit. */
export function mappingVocabulary(config: unknown): {
  verbs: string[];
  activityTypes: string[];
  extensions: string[];
} {
  const mapping = mappingOf(config);
  const verbs =
    mapping.verb.kind === "constant"
      ? [mapping.verb.id]
      : [...new Set([...mapping.verb.map.values()].map((t) => t.id))];
  const activities = [
    mapping.object,
    ...Object.values(mapping.context?.contextActivities ?? {}).flatMap((list) => list ?? []),
  ];
  const activityTypes = new Set<string>();
  const extensions = new Set<string>();
  for (const a of activities) {
    const type = a.type && a.type.columns.length === 0 ? a.type.of({ line: 0, cells: {} }) : undefined;
    if (type) activityTypes.add(type);
    for (const [iri] of a.extensions ?? []) extensions.add(iri);
  }
  for (const [iri] of [...(mapping.result?.extensions ?? []), ...(mapping.context?.extensions ?? [])]) {
    extensions.add(iri);
  }
  return { verbs, activityTypes: [...activityTypes], extensions: [...extensions] };
}
