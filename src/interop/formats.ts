/**
 * The registry of source formats `learnpool convert` and `learnpool ingest` know, by `--from` name.
 * A converter joins by exporting `<name>Format` from `src/interop/<name>/index.ts` and adding one
 * line to `registered` below.
 */
import { v5 as uuidv5 } from "uuid";
import { caliperFormat } from "./caliper/index.js";
import { cmi5Format } from "./cmi5/index.js";
import { ConversionError, type Format, perRecord, type XapiStatement } from "./converter.js";
import { csvFormat } from "./csv/index.js";
import { edxFormat } from "./edx/index.js";
import { isObject } from "./json.js";
import { moodleFormat } from "./moodle/index.js";
import { ouladFormat } from "./oulad/index.js";
import { scormFormat } from "./scorm/index.js";

/** The namespace of the UUIDv5 ids the `xapi` format gives statements that arrive without one. */
const XAPI_IMPORT_NAMESPACE = "5b0a3f5e-4c1d-5d7e-9f1a-2c3b4d5e6f70";

/**
 * Statements that are already xAPI (another LRS's export: statements one per line, an array, or
 * StatementResult pages `{statements, more}`), passed on as they are and validated by the pipeline.
 * A statement without an id gets a UUIDv5 of its content, so that a batch sent again after an
 * interruption is recognised by the LRS as the same statements instead of stored twice.
 */
export const xapiFormat: Format = {
  name: "xapi",
  description: "xAPI statements (another LRS's export): one statement, a StatementResult, or an array",
  converter: () =>
    perRecord((value) => {
      const statements: unknown[] =
        isObject(value) && Array.isArray(value.statements) && value.actor === undefined
          ? value.statements
          : [value];
      return statements.map((statement, i) => {
        if (!isObject(statement)) {
          throw new ConversionError(
            "an xAPI statement must be a JSON object",
            i > 0 ? `statements[${i}]` : undefined,
          );
        }
        if (statement.id !== undefined) return statement as XapiStatement;
        return { id: uuidv5(JSON.stringify(statement), XAPI_IMPORT_NAMESPACE), ...statement };
      });
    }),
};

/** Every format, in the order `--help` lists them. One line per converter. */
const registered: Format[] = [
  edxFormat,
  moodleFormat,
  caliperFormat,
  scormFormat,
  cmi5Format,
  csvFormat,
  ouladFormat,
  xapiFormat,
];

export const formats: Map<string, Format> = new Map(registered.map((format) => [format.name, format]));

/** The format named by `--from`, or an error listing the known ones. */
export function formatNamed(name: string): Format {
  const format = formats.get(name);
  if (!format) {
    throw new Error(`unknown format '${name}'; known formats: ${[...formats.keys()].join(", ")}`);
  }
  return format;
}
