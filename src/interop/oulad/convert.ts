/**
 * The rules from OULAD's rows to xAPI statements, pure: each function takes a row (its cells by
 * column), the reference tables and the settings, and returns the row's statements. Demographics
 * (gender, region, highest_education, imd_band, age_band, disability…) are never read: they are
 * quasi-identifiers, and a dataset built from these statements gets them, if at all, under an agreement:
 * only the optional `attributes` setting puts them on the registration statement, for a build to declare.
 */
import { v5 as uuidv5 } from "uuid";
import { ConversionError, Unmapped, type XapiStatement } from "../converter.js";
import { type OuladSettings, presentationStart } from "./settings.js";
import {
  ACTIVITY_TYPES,
  ATTRIBUTE_COLUMNS,
  ATTRIBUTE_EXTENSIONS,
  EXTENSIONS,
  VERBS,
  type VerbName,
  VLE_ACTIVITY_TYPES,
} from "./vocabulary.js";

export interface Course {
  /** module_presentation_length, in days. */
  length: number;
}

export interface Assessment {
  module: string;
  presentation: string;
  type: string;
  /** The deadline, days from the presentation's start (absent for some exams). */
  date?: number;
  weight: number;
}

export interface VleSite {
  module: string;
  presentation: string;
  activityType: string;
}

/** The small tables, held in memory as lookups while the large ones stream. */
export interface OuladReference {
  courses: Map<string, Course>;
  assessments: Map<string, Assessment>;
  vle: Map<string, VleSite>;
  /** studentInfo's demographics by `module/presentation/student`: loaded only under the `attributes` setting. */
  attributes?: Map<string, Record<string, string>>;
}

export type EventTable = "studentRegistration" | "studentInfo" | "studentAssessment" | "studentVle";

/** What `read` yields for a row of an event table. */
export interface OuladRow {
  table: EventTable;
  line: number;
  cells: Record<string, string>;
  reference: OuladReference;
  /** Set instead of cells when the reader could not make a row of the line. */
  malformed?: string;
}

export function courseKey(module: string, presentation: string): string {
  return `${module}/${presentation}`;
}

const DAY_MS = 86_400_000;
const MISSING = "?";

type Json = XapiStatement[string];

/** Reads cells of one row, with errors naming table, line and column. */
class Cells {
  constructor(readonly row: OuladRow) {}

  where(column: string): string {
    return `${this.row.table}.csv, line ${this.row.line}, column ${column}`;
  }

  text(column: string): string {
    const value = this.row.cells[column];
    if (value === undefined || value === "" || value === MISSING) {
      throw new ConversionError(`${this.where(column)}: missing value${value === MISSING ? " ('?')" : ""}`);
    }
    return value;
  }

  /** An integer, or undefined for OULAD's missing value `?`. */
  optionalInteger(column: string): number | undefined {
    const value = this.row.cells[column];
    if (value === undefined || value === "" || value === MISSING) return undefined;
    if (!/^-?\d+$/.test(value.trim()))
      throw new ConversionError(`${this.where(column)}: '${value}' is not an integer`);
    return Number(value);
  }

  integer(column: string): number {
    const n = this.optionalInteger(column);
    if (n === undefined) this.text(column);
    return n!;
  }
}

function iri(base: string, ...segments: string[]): string {
  return `${base}/${segments.map(encodeURIComponent).join("/")}`;
}

function moduleActivity(s: OuladSettings, module: string): Record<string, Json> {
  return {
    objectType: "Activity",
    id: iri(s.activityBase, "modules", module),
    definition: { type: ACTIVITY_TYPES.course, name: { en: `OU module ${module}` } },
  };
}

function presentationActivity(s: OuladSettings, module: string, presentation: string): Record<string, Json> {
  return {
    objectType: "Activity",
    id: iri(s.activityBase, "modules", module, "presentations", presentation),
    definition: {
      type: ACTIVITY_TYPES.course,
      name: { en: `OU module ${module}, presentation ${presentation}` },
    },
  };
}

function actor(s: OuladSettings, student: string): Record<string, Json> {
  return { objectType: "Agent", account: { homePage: s.homePage, name: student } };
}

/** Presentation-relative day → xAPI timestamp (00:00 UTC of that day). */
function timestampOf(s: OuladSettings, cells: Cells, presentation: string, day: number): string {
  const start = presentationStart(s, presentation);
  if (start === undefined) {
    throw new ConversionError(
      `${cells.row.table}.csv, line ${cells.row.line}: no start date for presentation '${presentation}' ` +
        `(not YYYYB/YYYYJ; set presentationStarts.${presentation} in the configuration)`,
    );
  }
  return new Date(start + day * DAY_MS).toISOString();
}

interface Frame {
  s: OuladSettings;
  cells: Cells;
  student: string;
  module: string;
  presentation: string;
}

/** A statement of a learner in a presentation, with the presentation and module as context. */
function statement(
  f: Frame,
  verb: VerbName,
  key: string,
  day: number,
  object: Record<string, Json>,
  extras: { result?: Record<string, Json>; context?: Record<string, Json> } = {},
): XapiStatement {
  const objectIsPresentation = object.id === presentationActivity(f.s, f.module, f.presentation).id;
  const contextActivities: Record<string, Json> = objectIsPresentation
    ? { grouping: [moduleActivity(f.s, f.module)] }
    : {
        parent: [presentationActivity(f.s, f.module, f.presentation)],
        grouping: [moduleActivity(f.s, f.module)],
      };
  return {
    id: uuidv5(`oulad/${verb}/${f.module}/${f.presentation}/${f.student}/${key}`, f.s.namespace),
    actor: actor(f.s, f.student),
    verb: VERBS[verb],
    object,
    ...(extras.result ? { result: extras.result } : {}),
    context: { contextActivities, extensions: { [EXTENSIONS.day]: day, ...(extras.context ?? {}) } },
    timestamp: timestampOf(f.s, f.cells, f.presentation, day),
  };
}

function frame(s: OuladSettings, row: OuladRow, module: string, presentation: string): Frame {
  const cells = new Cells(row);
  return { s, cells, student: cells.text("id_student"), module, presentation };
}

/**
 * studentRegistration: `registered` on date_registration and `unregistered` on date_unregistration
 * (the withdrawal). A row whose date_registration is `?` gives only its unregistered statement; with
 * neither date it is skipped, with that reason.
 */
export function registrationStatements(s: OuladSettings, row: OuladRow): XapiStatement[] {
  const cells = new Cells(row);
  const f = frame(s, row, cells.text("code_module"), cells.text("code_presentation"));
  const registered = cells.optionalInteger("date_registration");
  const unregistered = cells.optionalInteger("date_unregistration");
  const object = presentationActivity(s, f.module, f.presentation);
  const out: XapiStatement[] = [];
  const context = s.attributes ? attributeExtensions(row, f) : {};
  if (registered !== undefined) out.push(statement(f, "registered", "", registered, object, { context }));
  if (unregistered !== undefined) out.push(statement(f, "unregistered", "", unregistered, object));
  if (out.length === 0) {
    throw new Unmapped(
      `${row.table}.csv, line ${row.line}: neither date_registration nor date_unregistration is known ('?')`,
    );
  }
  return out;
}

const NUMERIC_ATTRIBUTES = new Set(["num_of_prev_attempts", "studied_credits"]);

/** The learner's demographics as context extensions; a missing value (`?`) is left out. */
function attributeExtensions(row: OuladRow, f: Frame): Record<string, Json> {
  const values = row.reference.attributes?.get(`${courseKey(f.module, f.presentation)}/${f.student}`);
  const out: Record<string, Json> = {};
  if (!values) return out;
  for (const column of ATTRIBUTE_COLUMNS) {
    const value = values[column];
    if (value === undefined || value === "" || value === MISSING) continue;
    out[ATTRIBUTE_EXTENSIONS[column]] =
      NUMERIC_ATTRIBUTES.has(column) && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

const FINAL_RESULTS: Record<string, boolean> = { Pass: true, Distinction: true, Fail: false };

/**
 * studentInfo: `completed` with the final result (success for Pass and Distinction, not for Fail),
 * dated at the end of the presentation (its start + module_presentation_length). `Withdrawn` is
 * skipped: the withdrawal is studentRegistration's `unregistered` statement, on its own date.
 */
export function finalResultStatements(s: OuladSettings, row: OuladRow): XapiStatement[] {
  const cells = new Cells(row);
  const f = frame(s, row, cells.text("code_module"), cells.text("code_presentation"));
  const finalResult = cells.text("final_result");
  if (finalResult === "Withdrawn") {
    throw new Unmapped(
      `${row.table}.csv, line ${row.line}: final_result Withdrawn (the withdrawal is studentRegistration's unregistered statement)`,
    );
  }
  const success = FINAL_RESULTS[finalResult];
  if (success === undefined) {
    throw new ConversionError(
      `${cells.where("final_result")}: '${finalResult}' is not Pass, Distinction, Fail or Withdrawn`,
    );
  }
  const course = row.reference.courses.get(courseKey(f.module, f.presentation));
  if (!course) {
    throw new ConversionError(
      `${cells.where("code_module")}: presentation ${f.module} ${f.presentation} is not in courses.csv (its length dates the result)`,
    );
  }
  return [
    statement(f, "completed", "", course.length, presentationActivity(s, f.module, f.presentation), {
      result: { success, completion: true, extensions: { [EXTENSIONS.finalResult]: finalResult } },
    }),
  ];
}

/**
 * studentAssessment: `submitted` on date_submitted and, when the score is known, `scored` with it
 * (0–100, success from 40 as OULAD defines a pass); is_banked marks a result carried over from an
 * earlier presentation.
 */
export function assessmentStatements(s: OuladSettings, row: OuladRow): XapiStatement[] {
  const cells = new Cells(row);
  const id = cells.text("id_assessment");
  const assessment = row.reference.assessments.get(id);
  if (!assessment)
    throw new ConversionError(`${cells.where("id_assessment")}: assessment ${id} is not in assessments.csv`);
  const f = frame(s, row, assessment.module, assessment.presentation);
  const day = cells.integer("date_submitted");
  const banked = cells.integer("is_banked");
  if (banked !== 0 && banked !== 1)
    throw new ConversionError(`${cells.where("is_banked")}: '${banked}' is not 0 or 1`);
  const score = cells.optionalInteger("score");
  if (score !== undefined && (score < 0 || score > 100)) {
    throw new ConversionError(`${cells.where("score")}: ${score} is outside 0–100`);
  }
  const object: Record<string, Json> = {
    objectType: "Activity",
    id: iri(s.activityBase, "assessments", id),
    definition: {
      type: ACTIVITY_TYPES.assessment,
      name: { en: `${assessment.type} ${id} of ${assessment.module} ${assessment.presentation}` },
      extensions: { [EXTENSIONS.assessmentType]: assessment.type, [EXTENSIONS.weight]: assessment.weight },
    },
  };
  const context = { [EXTENSIONS.banked]: banked === 1 };
  const out = [statement(f, "submitted", id, day, object, { context })];
  if (score !== undefined) {
    const result = { score: { scaled: score / 100, raw: score, min: 0, max: 100 }, success: score >= 40 };
    out.push(statement(f, "scored", id, day, object, { result, context }));
  }
  return out;
}

/**
 * studentVle: one `interacted` per row — a student, a VLE site, a day — with the day's click count.
 * The id includes the row's line: OULAD's studentVle may hold several rows for the same student, site
 * and day, and each is kept (the same file gives the same ids again).
 */
export function vleStatements(s: OuladSettings, row: OuladRow): XapiStatement[] {
  const cells = new Cells(row);
  const f = frame(s, row, cells.text("code_module"), cells.text("code_presentation"));
  const siteId = cells.text("id_site");
  const site = row.reference.vle.get(siteId);
  if (!site) throw new ConversionError(`${cells.where("id_site")}: site ${siteId} is not in vle.csv`);
  const day = cells.integer("date");
  const clicks = cells.integer("sum_click");
  if (clicks < 0) throw new ConversionError(`${cells.where("sum_click")}: ${clicks} is negative`);
  const object: Record<string, Json> = {
    objectType: "Activity",
    id: iri(s.activityBase, "vle", siteId),
    definition: {
      type: VLE_ACTIVITY_TYPES[site.activityType] ?? ACTIVITY_TYPES.resource,
      name: { en: `${site.activityType} ${siteId} of ${site.module} ${site.presentation}` },
      extensions: { [EXTENSIONS.vleActivityType]: site.activityType },
    },
  };
  return [
    statement(f, "interacted", `${siteId}/${day}/line ${row.line}`, day, object, {
      result: { extensions: { [EXTENSIONS.clicks]: clicks } },
    }),
  ];
}

const RULES: Record<EventTable, (s: OuladSettings, row: OuladRow) => XapiStatement[]> = {
  studentRegistration: registrationStatements,
  studentInfo: finalResultStatements,
  studentAssessment: assessmentStatements,
  studentVle: vleStatements,
};

/** The statements of one row of any event table. */
export function convertOuladRow(s: OuladSettings, row: OuladRow): XapiStatement[] {
  if (row.malformed) throw new ConversionError(row.malformed);
  const rule = RULES[row.table];
  if (!rule) throw new ConversionError(`not a row of an OULAD event table: '${String(row.table)}'`);
  return rule(s, row);
}
