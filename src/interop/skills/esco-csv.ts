/**
 * ESCO's CSV export: `skills_<lang>.csv` (and `skillGroups_<lang>.csv`, `occupations_<lang>.csv`), one
 * file per language with the same concepts, and `broaderRelationsSkillPillar*.csv` for the hierarchy.
 * Files of several languages merge their labels by conceptUri.
 */
import { parse } from "csv-parse/sync";
import { type Concept, completeHierarchy, emptyConcept, type Framework, type LangMap } from "./framework.js";

export const ESCO_SKILLS_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills";

export interface CsvFile {
  /** File name: the language is read from its `_<lang>` suffix when not given. */
  name: string;
  text: string;
  language?: string;
}

export interface EscoCsvOptions {
  /** The framework's scheme IRI; by default the scheme most concepts name in `inScheme`. */
  scheme?: string;
  title?: LangMap;
}

export class EscoCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EscoCsvError";
  }
}

/** `skills_fr.csv` → `fr`, `skills_pt-BR.csv` → `pt-BR`; undefined when the name carries none. */
export function languageOfFileName(name: string): string | undefined {
  const match = /_([a-z]{2,3}(?:-[A-Za-z0-9]+)?)\.csv$/i.exec(name.split(/[\\/]/).pop() ?? name);
  return match ? match[1] : undefined;
}

export function frameworkFromEscoCsv(
  files: CsvFile[],
  options: EscoCsvOptions = {},
): {
  framework: Framework;
  warnings: string[];
} {
  const warnings: string[] = [];
  const concepts = new Map<string, Concept>();
  const schemeVotes = new Map<string, number>();
  const broader: Array<[string, string]> = [];

  for (const file of files) {
    const rows = parse(file.text, {
      columns: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: true,
    }) as Array<Record<string, string>>;
    const header = rows.length > 0 ? Object.keys(rows[0]!) : firstLineColumns(file.text);
    if (header.includes("conceptUri") && header.includes("broaderUri")) {
      for (const row of rows)
        if (row.conceptUri && row.broaderUri) broader.push([row.conceptUri, row.broaderUri]);
      continue;
    }
    if (!header.includes("conceptUri") || !header.includes("preferredLabel")) {
      warnings.push(
        `${file.name}: neither a concepts file (conceptUri, preferredLabel) nor a relations file (conceptUri, broaderUri); skipped`,
      );
      continue;
    }
    const language = file.language ?? languageOfFileName(file.name);
    if (!language)
      throw new EscoCsvError(
        `${file.name}: cannot tell its language: name it <table>_<lang>.csv or give the language`,
      );
    for (const row of rows) {
      const iri = row.conceptUri?.trim();
      if (!iri) continue;
      let concept = concepts.get(iri);
      if (!concept) {
        concept = emptyConcept(iri);
        concepts.set(iri, concept);
        for (const scheme of splitList(row.inScheme ?? "", ","))
          schemeVotes.set(scheme, (schemeVotes.get(scheme) ?? 0) + 1);
      }
      const pref = row.preferredLabel?.trim();
      if (pref) concept.prefLabel[language] = pref;
      addAll(concept.altLabels, language, splitList(row.altLabels ?? "", "\n"));
      addAll(concept.hiddenLabels, language, splitList(row.hiddenLabels ?? "", "\n"));
      const definition = (row.definition || row.description || "").trim();
      if (definition) concept.definition[language] = definition;
      if (row.code?.trim()) concept.notation = row.code.trim();
      // Older exports carry broader links on the concept rows of skill groups.
      for (const parent of splitList(row.broaderConceptUri ?? "", /[|\n]/))
        if (!concept.broader.includes(parent)) concept.broader.push(parent);
    }
  }
  if (concepts.size === 0) throw new EscoCsvError("no concepts file among the inputs (skills_<lang>.csv)");

  let unknownParents = 0;
  for (const [child, parent] of broader) {
    const concept = concepts.get(child);
    if (!concept) continue;
    if (!concepts.has(parent)) unknownParents++;
    if (!concept.broader.includes(parent)) concept.broader.push(parent);
  }
  if (unknownParents > 0)
    warnings.push(`${unknownParents} broader link(s) point at concepts not in these files (kept as IRIs)`);

  const votes = [...schemeVotes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const scheme = options.scheme ?? (schemeVotes.has(ESCO_SKILLS_SCHEME) ? ESCO_SKILLS_SCHEME : votes[0]?.[0]);
  if (!scheme) throw new EscoCsvError("no inScheme column to name the framework: give the scheme IRI");
  const title = options.title ?? (scheme === ESCO_SKILLS_SCHEME ? { en: "ESCO skills" } : {});
  const framework: Framework = { id: scheme, title, concepts };
  completeHierarchy(framework);
  return { framework, warnings };
}

function splitList(text: string, separator: string | RegExp): string[] {
  return text
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

function addAll(map: Record<string, string[]>, language: string, values: string[]): void {
  if (values.length === 0) return;
  const list = map[language] ?? [];
  for (const value of values) if (!list.includes(value)) list.push(value);
  map[language] = list;
}

function firstLineColumns(text: string): string[] {
  const first = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  return first.split(",").map((c) => c.replace(/^"|"$/g, "").trim());
}
