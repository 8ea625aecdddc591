/**
 * Reading an OULAD folder: the small tables (courses, assessments, vle) into memory as lookups, then
 * the event tables streamed row by row (studentRegistration, studentInfo, studentAssessment,
 * studentVle), each row a source record positioned by file and line. Columns are found by name, so
 * the column order of a table does not matter (the published studentAssessment.csv differs from its
 * documentation); line ends may be LF or CRLF.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SourceRecord } from "../converter.js";
import { readCsvRows } from "../csv/index.js";
import {
  type Assessment,
  courseKey,
  type EventTable,
  type OuladReference,
  type OuladRow,
  type VleSite,
} from "./convert.js";
import { ATTRIBUTE_COLUMNS } from "./vocabulary.js";

/** The columns the converter reads, by table (other columns, such as demographics, are ignored). */
export const TABLE_COLUMNS = {
  courses: ["code_module", "code_presentation", "module_presentation_length"],
  assessments: ["code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"],
  vle: ["id_site", "code_module", "code_presentation", "activity_type"],
  studentRegistration: [
    "code_module",
    "code_presentation",
    "id_student",
    "date_registration",
    "date_unregistration",
  ],
  studentInfo: ["code_module", "code_presentation", "id_student", "final_result"],
  studentAssessment: ["id_student", "id_assessment", "date_submitted", "is_banked", "score"],
  studentVle: ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
} as const;

type Table = keyof typeof TABLE_COLUMNS;

export const EVENT_TABLES: EventTable[] = [
  "studentRegistration",
  "studentInfo",
  "studentAssessment",
  "studentVle",
];

/** Which reference table each event table needs. */
const NEEDS: Record<EventTable, Table[]> = {
  studentRegistration: [],
  studentInfo: ["courses"],
  studentAssessment: ["assessments"],
  studentVle: ["vle"],
};

function headerCheck(file: string, table: Table) {
  return (header: string[]) => {
    const absent = TABLE_COLUMNS[table].filter((column) => !header.includes(column));
    if (absent.length > 0) {
      throw new Error(
        `${file}: no column ${absent.map((c) => `'${c}'`).join(", ")} in the header (${header.join(",")})`,
      );
    }
  };
}

/** The rows of a reference table; a bad row there stops the read, since every event depending on it would be wrong. */
async function* referenceRows(
  file: string,
  table: Table,
): AsyncGenerator<{ line: number; cells: Record<string, string> }> {
  for await (const row of readCsvRows(file, {}, headerCheck(file, table))) {
    if (row.malformed) throw new Error(row.malformed);
    yield row;
  }
}

function integer(file: string, line: number, column: string, text: string | undefined): number {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) {
    throw new Error(`${file}, line ${line}, column ${column}: '${text ?? ""}' is not an integer`);
  }
  return Number(text);
}

function number(file: string, line: number, column: string, text: string | undefined): number {
  if (text === undefined || !/^-?(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) {
    throw new Error(`${file}, line ${line}, column ${column}: '${text ?? ""}' is not a number`);
  }
  return Number(text);
}

/** Loads courses, assessments and vle (those present) into lookups. */
export async function loadReference(dir: string, tables: Set<Table>): Promise<OuladReference> {
  const reference: OuladReference = { courses: new Map(), assessments: new Map(), vle: new Map() };
  if (tables.has("courses")) {
    const file = join(dir, "courses.csv");
    for await (const { line, cells } of referenceRows(file, "courses")) {
      reference.courses.set(courseKey(cells.code_module!, cells.code_presentation!), {
        length: integer(file, line, "module_presentation_length", cells.module_presentation_length),
      });
    }
  }
  if (tables.has("assessments")) {
    const file = join(dir, "assessments.csv");
    for await (const { line, cells } of referenceRows(file, "assessments")) {
      const assessment: Assessment = {
        module: cells.code_module!,
        presentation: cells.code_presentation!,
        type: cells.assessment_type!,
        weight: number(file, line, "weight", cells.weight),
      };
      if (cells.date !== "?" && cells.date !== "") assessment.date = integer(file, line, "date", cells.date);
      reference.assessments.set(cells.id_assessment!, assessment);
    }
  }
  if (tables.has("vle")) {
    const file = join(dir, "vle.csv");
    for await (const { cells } of referenceRows(file, "vle")) {
      const site: VleSite = {
        module: cells.code_module!,
        presentation: cells.code_presentation!,
        activityType: cells.activity_type!,
      };
      reference.vle.set(cells.id_site!, site);
    }
  }
  return reference;
}

/** studentInfo's demographics by `module/presentation/student` (the `attributes` setting only). */
async function loadAttributes(dir: string): Promise<Map<string, Record<string, string>>> {
  const file = join(dir, "studentInfo.csv");
  if (!existsSync(file))
    throw new Error(`${dir}: studentInfo.csv is missing (the attributes setting reads it)`);
  const columns = ["code_module", "code_presentation", "id_student", ...ATTRIBUTE_COLUMNS];
  const check = (header: string[]) => {
    const absent = columns.filter((column) => !header.includes(column));
    if (absent.length > 0)
      throw new Error(
        `${file}: no column ${absent.map((c) => `'${c}'`).join(", ")} in the header (attributes setting)`,
      );
  };
  const out = new Map<string, Record<string, string>>();
  for await (const row of readCsvRows(file, {}, check)) {
    if (row.malformed) continue; // the event pass rejects it with its reason
    const values: Record<string, string> = {};
    for (const column of ATTRIBUTE_COLUMNS) values[column] = row.cells[column] ?? "";
    out.set(
      `${courseKey(row.cells.code_module!, row.cells.code_presentation!)}/${row.cells.id_student}`,
      values,
    );
  }
  return out;
}

/**
 * The event rows of an OULAD folder as source records. Event tables that are absent are passed over
 * (the public copy used in tests lacks studentVle); a present event table whose reference table is
 * absent, or a folder with no event table, is an error.
 */
export async function* readOulad(
  dir: string,
  options: { attributes?: boolean } = {},
): AsyncGenerator<SourceRecord> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`${dir}: not a folder (the oulad format reads a folder of OULAD's CSV tables)`);
  }
  const present = (table: Table) => existsSync(join(dir, `${table}.csv`));
  const events = EVENT_TABLES.filter(present);
  if (events.length === 0) {
    throw new Error(`${dir}: no OULAD event table (${EVENT_TABLES.map((t) => `${t}.csv`).join(", ")})`);
  }
  const needed = new Set<Table>(events.flatMap((table) => NEEDS[table]));
  for (const table of needed) {
    if (!present(table))
      throw new Error(`${dir}: ${table}.csv is missing (needed to read ${events.join(", ")})`);
  }
  const reference = await loadReference(dir, needed);
  if (options.attributes) reference.attributes = await loadAttributes(dir);
  for (const table of events) {
    const file = join(dir, `${table}.csv`);
    for await (const row of readCsvRows(file, {}, headerCheck(file, table))) {
      const value: OuladRow = { table, line: row.line, cells: row.cells, reference };
      if (row.malformed) value.malformed = row.malformed;
      yield { value, position: { file, line: row.line } };
    }
  }
}
