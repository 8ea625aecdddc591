/**
 * The file side of skills interoperability: reading framework sources and alignment files from disk
 * and writing Learnpool's JSON forms. The rules themselves live in the pure modules beside it.
 */
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { parse } from "csv-parse/sync";
import { type Quad, StreamParser } from "n3";
import {
  type AlignmentSet,
  type AlignmentStatus,
  alignmentSetFromFile,
  alignmentsFromCsvRows,
} from "./alignments.js";
import { frameworkFromEscoCsv } from "./esco-csv.js";
import {
  type Framework,
  frameworkFromFile,
  frameworkToFile,
  keepLanguages,
  type LangMap,
} from "./framework.js";
import { triplesFromJsonLd } from "./jsonld.js";
import { type SkosImport, skosFromTriples, skosTripleFilter, type Triple } from "./skos.js";
import { TurtleError, tripleOfQuad } from "./turtle.js";

export const FRAMEWORK_SOURCE_FORMATS = ["skos-jsonld", "turtle", "esco-csv"] as const;
export type FrameworkSourceFormat = (typeof FRAMEWORK_SOURCE_FORMATS)[number];

export interface ImportOptions {
  format?: FrameworkSourceFormat;
  /** Scheme for concepts that name none; the framework's id for ESCO CSV. */
  scheme?: string;
  title?: LangMap;
  /** Language of ESCO CSV files whose names carry none. */
  language?: string;
  /** Keep labels of these languages only (ESCO carries 28): a smaller file, a faster import. */
  languages?: string[];
}

/** What the extension or the first bytes say; a directory is ESCO's CSV export. */
export function detectFormat(path: string): FrameworkSourceFormat {
  if (statSync(path).isDirectory()) return "esco-csv";
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "esco-csv";
  if ([".ttl", ".nt", ".n3", ".trig", ".nq"].includes(ext)) return "turtle";
  if ([".jsonld", ".json"].includes(ext)) return "skos-jsonld";
  const head = readFileSync(path, "utf8").slice(0, 200).trimStart();
  return head.startsWith("{") || head.startsWith("[") ? "skos-jsonld" : "turtle";
}

/**
 * The tables of ESCO's CSV download that make the skills pillar; a folder holds many others
 * (occupations, ISCO groups, collections, occupation–skill relations) that are not this framework.
 */
const ESCO_SKILL_TABLES = /^(skills|skillGroups|broaderRelationsSkillPillar)(_[A-Za-z-]+)?\.csv$/i;

/** ESCO CSV inputs: the files given, and a folder's skills-pillar tables; the rest is reported. */
function csvFiles(paths: string[], warnings: string[]): string[] {
  return paths.flatMap((path) => {
    if (!statSync(path).isDirectory()) return [path];
    const names = readdirSync(path)
      .filter((name) => name.toLowerCase().endsWith(".csv"))
      .sort();
    const ignored = names.filter((name) => !ESCO_SKILL_TABLES.test(name));
    if (ignored.length > 0)
      warnings.push(
        `${path}: not part of the skills pillar, not read: ${ignored.join(", ")} (name a file to read it)`,
      );
    return names.filter((name) => ESCO_SKILL_TABLES.test(name)).map((name) => join(path, name));
  });
}

/** Reads framework sources; SKOS files may hold several schemes and mapping relations. */
export async function importFrameworkFiles(
  paths: string[],
  options: ImportOptions = {},
): Promise<SkosImport & { format: FrameworkSourceFormat }> {
  if (paths.length === 0) throw new Error("no input file");
  const format = options.format ?? detectFormat(paths[0]!);
  const languages = options.languages?.length ? options.languages : undefined;
  if (format === "esco-csv") {
    const skipped: string[] = [];
    const files = csvFiles(paths, skipped).map((path) => ({
      name: basename(path),
      text: readFileSync(path, "utf8"),
      ...(options.language !== undefined && { language: options.language }),
    }));
    const { framework, warnings } = frameworkFromEscoCsv(files, {
      ...(options.scheme !== undefined && { scheme: options.scheme }),
      ...(options.title !== undefined && { title: options.title }),
    });
    return {
      format,
      frameworks: [languages ? keepLanguages(framework, languages) : framework],
      alignments: [],
      warnings: [...skipped, ...warnings],
    };
  }
  const keep = skosTripleFilter(languages);
  const triples: Triple[] = [];
  const warnings: string[] = [];
  for (const path of paths) {
    if (format === "turtle") {
      for await (const triple of turtleTriples(path)) if (keep(triple)) triples.push(triple);
    } else {
      const result = triplesFromJsonLd(JSON.parse(readFileSync(path, "utf8")));
      for (const triple of result.triples) if (keep(triple)) triples.push(triple);
      warnings.push(...result.warnings.map((w) => `${basename(path)}: ${w}`));
    }
  }
  const imported = skosFromTriples(
    triples,
    options.scheme !== undefined ? { defaultScheme: options.scheme } : {},
  );
  // Labels whose language sits apart from their literal (ESCO's description nodes) are filtered here.
  if (languages) imported.frameworks = imported.frameworks.map((f) => keepLanguages(f, languages));
  if (options.title)
    for (const framework of imported.frameworks)
      if (Object.keys(framework.title).length === 0) framework.title = options.title;
  return { format, ...imported, warnings: [...warnings, ...imported.warnings] };
}

/**
 * Streams a Turtle (or N-Triples, TriG, N-Quads) file: ESCO's full RDF dump is gigabytes, more than a
 * string can hold; streamed and filtered, only the SKOS triples stay in memory.
 */
async function* turtleTriples(path: string): AsyncGenerator<Triple> {
  const ext = extname(path).toLowerCase();
  const format =
    ext === ".nt" ? "N-Triples" : ext === ".nq" ? "N-Quads" : ext === ".trig" ? "TriG" : undefined;
  const parser = new StreamParser(format ? { format } : {});
  const input = createReadStream(path, { encoding: "utf8" });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const quad of parser as AsyncIterable<Quad>) {
      const triple = tripleOfQuad(quad);
      if (triple) yield triple;
    }
  } catch (error) {
    throw new TurtleError(`${basename(path)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function readFramework(path: string): Framework {
  return frameworkFromFile(JSON.parse(readFileSync(path, "utf8")));
}

export function writeFramework(path: string, framework: Framework): void {
  writeFileSync(path, `${JSON.stringify(frameworkToFile(framework), null, 2)}\n`);
}

export function readAlignmentSet(path: string): AlignmentSet {
  return alignmentSetFromFile(JSON.parse(readFileSync(path, "utf8")));
}

export function writeAlignmentSet(path: string, set: AlignmentSet): void {
  writeFileSync(path, `${JSON.stringify(set, null, 2)}\n`);
}

/** Reads a `source,relation,target,score?,status?` CSV. */
export function readAlignmentCsv(
  path: string,
  options: { defaultStatus?: AlignmentStatus; sourceScheme?: string; targetScheme?: string } = {},
) {
  const rows = parse(readFileSync(path, "utf8"), {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
  }) as string[][];
  return alignmentsFromCsvRows(rows, options);
}
