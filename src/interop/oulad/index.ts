/**
 * The `oulad` format: the Open University Learning Analytics Dataset (a folder of its CSV tables) as
 * xAPI — registrations and withdrawals, submissions and scores, daily VLE clicks, final results — with
 * the course presentation as context and the demographics left out. Owns the folder reader
 * (`read.ts`), the row rules (`convert.ts`), the configuration and presentation dates (`settings.ts`)
 * and the vocabulary it emits (`vocabulary.ts`).
 */
import { ConversionError, type Converter, type Format, outcomeOf, type SourceRecord } from "../converter.js";
import { convertOuladRow, type OuladRow } from "./convert.js";
import { readOulad } from "./read.js";
import { ouladSettings } from "./settings.js";
import { ACTIVITY_TYPES, EXTENSIONS, VERBS } from "./vocabulary.js";

export type { OuladReference, OuladRow } from "./convert.js";
export { readOulad, TABLE_COLUMNS } from "./read.js";
export {
  DEFAULT_SETTINGS,
  OuladConfigError,
  type OuladSettings,
  ouladSettings,
  presentationStart,
} from "./settings.js";
export {
  ATTRIBUTE_COLUMNS as OULAD_ATTRIBUTE_COLUMNS,
  ATTRIBUTE_EXTENSIONS as OULAD_ATTRIBUTE_EXTENSIONS,
  EXTENSIONS as OULAD_EXTENSIONS,
  VERBS as OULAD_VERBS,
  VLE_ACTIVITY_TYPES,
} from "./vocabulary.js";

function isOuladRow(value: unknown): value is OuladRow {
  return typeof value === "object" && value !== null && "table" in value && "reference" in value;
}

/** The converter of OULAD rows under one configuration (homePage, namespace, presentation dates). */
export function ouladConverter(config: unknown): Converter {
  const settings = ouladSettings(config);
  const convert = (value: unknown) => {
    if (!isOuladRow(value))
      throw new ConversionError("not an OULAD row (the oulad format reads a folder with its own reader)");
    return convertOuladRow(settings, value);
  };
  return {
    async *run(records: AsyncIterable<SourceRecord>) {
      for await (const record of records) yield outcomeOf(convert, record);
    },
  };
}

export const ouladFormat: Format = {
  name: "oulad",
  description:
    "OULAD, the Open University Learning Analytics Dataset: a folder of its CSV tables (--in <dir>)",
  read: (input, config) => {
    const settings = ouladSettings(config); // a bad configuration fails before the folder is read
    return readOulad(input, { attributes: settings.attributes });
  },
  converter: ouladConverter,
};

export const ouladVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: Object.values(VERBS).map((verb) => verb.id),
  activityTypes: Object.values(ACTIVITY_TYPES),
  extensions: Object.values(EXTENSIONS),
};
