/**
 * `learnpool skills …`: command-line wiring of the skills interoperability module (import frameworks,
 * suggest and review alignments, translate statements' competencies). Each action is an exported
 * function that returns what it did, so that it can be called and tested without a process.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import {
  type AlignmentSet,
  type AlignmentStatus,
  countByStatus,
  displayLabel,
  emptyAlignmentSet,
  FRAMEWORK_SOURCE_FORMATS,
  type Framework,
  type FrameworkSourceFormat,
  frameworkLanguages,
  importFrameworkFiles,
  MATCH_RELATIONS,
  mergeAlignments,
  parseRelation,
  type ReviewDecision,
  readAlignmentCsv,
  readAlignmentSet,
  readFramework,
  reviewAlignments,
  suggestAlignments,
  TargetIndex,
  translateStatementCompetencies,
  translationTable,
  writeAlignmentSet,
  writeFramework,
} from "../interop/skills/index.js";
import { cliActor } from "./common.js";

type Print = (line: string) => void;
const stdout: Print = (line) => process.stdout.write(`${line}\n`);
const stderr: Print = (line) => process.stderr.write(`${line}\n`);

export class SkillsCommandError extends Error {}

// ---------------------------------------------------------------- import

export interface ImportCommandOptions {
  format?: FrameworkSourceFormat;
  out: string;
  scheme?: string;
  title?: string;
  language?: string;
  /** Comma-separated languages to keep (all by default). */
  languages?: string;
  /** Where mapping relations found in SKOS files go (an alignment set). */
  alignmentsOut?: string;
}

export interface ImportSummary {
  framework: string;
  concepts: number;
  languages: Record<string, number>;
  otherSchemes: string[];
  alignments: number;
  warnings: string[];
}

export async function importCommand(
  files: string[],
  options: ImportCommandOptions,
  print: Print = stdout,
): Promise<ImportSummary> {
  if (options.format && !FRAMEWORK_SOURCE_FORMATS.includes(options.format))
    throw new SkillsCommandError(`--format must be one of ${FRAMEWORK_SOURCE_FORMATS.join(", ")}`);
  const imported = await importFrameworkFiles(files, {
    ...(options.format !== undefined && { format: options.format }),
    ...(options.scheme !== undefined && { scheme: options.scheme }),
    ...(options.title !== undefined && { title: { en: options.title } }),
    ...(options.language !== undefined && { language: options.language }),
    ...(options.languages !== undefined && {
      languages: options.languages
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    }),
  });
  if (imported.frameworks.length === 0)
    throw new SkillsCommandError(
      imported.warnings.length > 0
        ? `no framework read: ${imported.warnings.join("; ")} (--scheme <iri>)`
        : "no concept scheme and no concept found",
    );
  const chosen =
    (options.scheme ? imported.frameworks.find((f) => f.id === options.scheme) : undefined) ??
    [...imported.frameworks].sort((a, b) => b.concepts.size - a.concepts.size)[0]!;
  writeFramework(options.out, chosen);
  const languages: Record<string, number> = {};
  for (const lang of frameworkLanguages(chosen))
    languages[lang] = [...chosen.concepts.values()].filter((c) => c.prefLabel[lang] !== undefined).length;
  const otherSchemes = imported.frameworks
    .filter((f) => f !== chosen)
    .map((f) => `${f.id} (${f.concepts.size})`);
  if (options.alignmentsOut && imported.alignments.length > 0) {
    const set = existsSync(options.alignmentsOut)
      ? readAlignmentSet(options.alignmentsOut)
      : emptyAlignmentSet();
    writeAlignmentSet(options.alignmentsOut, mergeAlignments(set, imported.alignments).set);
  }
  print(`framework ${chosen.id}${title(chosen)}: ${chosen.concepts.size} concepts → ${options.out}`);
  print(
    `languages (concepts with a preferred label): ${
      Object.entries(languages)
        .map(([l, n]) => `${l} ${n}`)
        .join(", ") || "none"
    }`,
  );
  if (otherSchemes.length > 0)
    print(`other schemes in the input (not written; choose with --scheme): ${otherSchemes.join(", ")}`);
  if (imported.alignments.length > 0)
    print(
      `${imported.alignments.length} mapping relation(s) found${options.alignmentsOut ? ` → ${options.alignmentsOut}` : " (write them with --alignments-out)"}`,
    );
  for (const warning of imported.warnings) print(`warning: ${warning}`);
  return {
    framework: chosen.id,
    concepts: chosen.concepts.size,
    languages,
    otherSchemes,
    alignments: imported.alignments.length,
    warnings: imported.warnings,
  };
}

function title(framework: Framework): string {
  const text = framework.title.en ?? Object.values(framework.title)[0];
  return text ? ` ("${text}")` : "";
}

// ---------------------------------------------------------------- import-alignments

export interface ImportAlignmentsOptions {
  out: string;
  sourceScheme?: string;
  targetScheme?: string;
  status?: AlignmentStatus;
}

/** Adds the alignments of a CSV or SKOS file to an alignment set (decisions already there stay). */
export async function importAlignmentsCommand(
  file: string,
  options: ImportAlignmentsOptions,
  print: Print = stdout,
) {
  let incoming: AlignmentSet["alignments"];
  if (file.toLowerCase().endsWith(".csv")) {
    const { alignments, problems } = readAlignmentCsv(file, {
      ...(options.status !== undefined && { defaultStatus: options.status }),
      ...(options.sourceScheme !== undefined && { sourceScheme: options.sourceScheme }),
      ...(options.targetScheme !== undefined && { targetScheme: options.targetScheme }),
    });
    if (problems.length > 0) throw new SkillsCommandError(`${file}:\n  ${problems.join("\n  ")}`);
    incoming = alignments;
  } else {
    incoming = (await importFrameworkFiles([file])).alignments.map((a) => ({
      ...a,
      ...(options.status !== undefined && { status: options.status }),
      ...(options.sourceScheme !== undefined && { sourceScheme: options.sourceScheme }),
      ...(options.targetScheme !== undefined && { targetScheme: options.targetScheme }),
    }));
  }
  const set = existsSync(options.out)
    ? readAlignmentSet(options.out)
    : emptyAlignmentSet(options.sourceScheme, options.targetScheme);
  const merged = mergeAlignments(set, incoming);
  writeAlignmentSet(options.out, merged.set);
  print(
    `${incoming.length} alignment(s) read: ${merged.added} added, ${merged.updated} updated, ${merged.kept} left as decided → ${options.out}`,
  );
  return merged;
}

// ---------------------------------------------------------------- suggest

export interface SuggestCommandOptions {
  source: string;
  target: string;
  out: string;
  minScore?: string | number;
  exactScore?: string | number;
  perConcept?: string | number;
}

export function suggestCommand(options: SuggestCommandOptions, print: Print = stdout) {
  const source = readFramework(options.source);
  const target = readFramework(options.target);
  const minScore = numberOption(options.minScore, 0.6, "--min-score");
  const exactScore = numberOption(options.exactScore, 0.9, "--exact-score");
  const perConcept = numberOption(options.perConcept, 3, "--per-concept");
  // Re-running keeps every decision: the existing set's reviewed pairs are neither re-suggested nor lost.
  const existing = existsSync(options.out)
    ? readAlignmentSet(options.out)
    : emptyAlignmentSet(source.id, target.id);
  const started = performance.now();
  const index = new TargetIndex(target);
  const suggestions = suggestAlignments(source, index, { minScore, exactScore, perConcept, existing });
  const milliseconds = Math.round(performance.now() - started);
  const stale = existing.alignments.filter(
    (a) => a.status !== "suggested" || a.origin !== "label-similarity",
  );
  const merged = mergeAlignments({ ...existing, alignments: stale }, suggestions).set;
  merged.source ??= source.id;
  merged.target ??= target.id;
  merged.parameters = { method: "label-similarity", minScore, exactScore, perConcept };
  writeAlignmentSet(options.out, merged);
  const exact = suggestions.filter((s) => s.relation === "exactMatch").length;
  const sources = new Set(suggestions.map((s) => s.source)).size;
  print(
    `${suggestions.length} suggestion(s) (${exact} exactMatch, ${suggestions.length - exact} closeMatch) for ${sources} of ${source.concepts.size} source concepts, against ${target.concepts.size} target concepts, in ${milliseconds} ms → ${options.out}`,
  );
  const counts = countByStatus(merged);
  print(`set: ${counts.suggested} suggested, ${counts.accepted} accepted, ${counts.rejected} rejected`);
  return { suggestions, milliseconds, set: merged };
}

function numberOption(value: string | number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new SkillsCommandError(`${name} must be a non-negative number`);
  return n;
}

// ---------------------------------------------------------------- review

export interface ReviewCommandOptions {
  accept?: string[];
  reject?: string[];
  relation?: string;
  reviewer?: string;
  /** Frameworks whose labels the pending list shows. */
  source?: string;
  target?: string;
}

/** `SRC=TGT`, where either IRI may itself hold `=`: the split that names a pair of the set wins. */
export function parsePair(text: string, set: AlignmentSet): { source: string; target: string } {
  const keys = new Set(set.alignments.map((a) => `${a.source} ${a.target}`));
  const splits: Array<{ source: string; target: string }> = [];
  for (let i = text.indexOf("="); i > 0; i = text.indexOf("=", i + 1))
    splits.push({ source: text.slice(0, i), target: text.slice(i + 1) });
  if (splits.length === 0) throw new SkillsCommandError(`"${text}": expected SOURCE=TARGET`);
  return (
    splits.find((s) => keys.has(`${s.source} ${s.target}`)) ??
    splits.find((s) => /^[a-z][a-z0-9+.-]*:/i.test(s.target)) ??
    splits[0]!
  );
}

export function reviewCommand(
  file: string,
  options: ReviewCommandOptions,
  print: Print = stdout,
  now = () => new Date(),
) {
  const set = readAlignmentSet(file);
  const relation = options.relation !== undefined ? parseRelation(options.relation) : undefined;
  if (options.relation !== undefined && !relation)
    throw new SkillsCommandError(`--relation must be one of ${MATCH_RELATIONS.join(", ")}`);
  const decisions: ReviewDecision[] = [
    ...(options.accept ?? []).map((p) => ({
      ...parsePair(p, set),
      status: "accepted" as const,
      ...(relation && { relation }),
    })),
    ...(options.reject ?? []).map((p) => ({ ...parsePair(p, set), status: "rejected" as const })),
  ];
  if (decisions.length === 0) {
    // No decision: show what awaits one.
    const source = options.source ? readFramework(options.source) : undefined;
    const target = options.target ? readFramework(options.target) : undefined;
    const pending = set.alignments.filter((a) => a.status === "suggested");
    for (const a of pending) {
      const from = source?.concepts.get(a.source);
      const to = target?.concepts.get(a.target);
      const fromLabel = from
        ? displayLabel(from, a.evidence?.sourceLanguage)
        : (a.evidence?.sourceLabel ?? "");
      const toLabel = to ? displayLabel(to, a.evidence?.targetLanguage) : (a.evidence?.targetLabel ?? "");
      print(
        `${(a.score ?? 0).toFixed(3)}  ${a.relation.padEnd(10)}  "${fromLabel}" → "${toLabel}"  ${a.source}=${a.target}`,
      );
    }
    const counts = countByStatus(set);
    print(`${counts.suggested} suggested, ${counts.accepted} accepted, ${counts.rejected} rejected`);
    return { set, accepted: 0, rejected: 0, added: 0 };
  }
  const reviewed = reviewAlignments(set, decisions, options.reviewer ?? cliActor(), now().toISOString());
  writeAlignmentSet(file, reviewed.set);
  const counts = countByStatus(reviewed.set);
  print(
    `${reviewed.accepted} accepted, ${reviewed.rejected} rejected${reviewed.added ? ` (${reviewed.added} added by hand)` : ""}; set: ${counts.suggested} suggested, ${counts.accepted} accepted, ${counts.rejected} rejected`,
  );
  return reviewed;
}

// ---------------------------------------------------------------- translate

export interface TranslateCommandOptions {
  alignments: string;
  target: string;
  in: string;
  out: string;
  targetFramework?: string;
  allowBroadMatch?: boolean;
  includeSuggested?: boolean;
}

export function translateCommand(
  options: TranslateCommandOptions,
  print: Print = stdout,
  warn: Print = stderr,
) {
  const set = readAlignmentSet(options.alignments);
  const framework = options.targetFramework ? readFramework(options.targetFramework) : undefined;
  if (framework && framework.id !== options.target)
    throw new SkillsCommandError(`--target-framework is ${framework.id}, not the --target ${options.target}`);
  const translateOptions = {
    statuses: options.includeSuggested
      ? (["accepted", "suggested"] as AlignmentStatus[])
      : (["accepted"] as AlignmentStatus[]),
    allowBroadMatch: options.allowBroadMatch === true,
    ...(framework && { targetFramework: framework }),
  };
  const table = translationTable(set, options.target, translateOptions);
  const statements = readStatements(options.in);
  const lines: string[] = [];
  let translated = 0;
  const untranslated = new Map<string, number>();
  let withCompetencies = 0;
  for (const statement of statements) {
    const result = translateStatementCompetencies(statement, table, options.target, translateOptions);
    lines.push(JSON.stringify(result.statement));
    if (result.translated.length + result.untranslated.length > 0) withCompetencies++;
    translated += result.translated.length;
    for (const u of result.untranslated) untranslated.set(u.source, (untranslated.get(u.source) ?? 0) + 1);
  }
  writeFileSync(options.out, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  const kept = [...untranslated.values()].reduce((a, b) => a + b, 0);
  print(
    `${statements.length} statement(s), ${withCompetencies} with competencies: ${translated} competency reference(s) translated, ${kept} kept untranslated → ${options.out}`,
  );
  for (const [iri, count] of [...untranslated.entries()].sort((a, b) => b[1] - a[1]))
    warn(`untranslated: ${iri} (${count}×): no usable alignment into ${options.target}`);
  return { statements: statements.length, translated, untranslated };
}

/** JSON lines, or one JSON array, or one statement. */
function readStatements(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as Record<string, unknown>[];
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new SkillsCommandError(
          `${path}:${n}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
}

// ---------------------------------------------------------------- wiring

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSkillsCommands(program: Command): Command {
  const skills = new Command("skills").description(
    "competency frameworks: import (SKOS, ESCO CSV), align across frameworks, translate statements' competencies",
  );
  skills
    .command("import <files...>")
    .description(
      "import a framework (SKOS JSON-LD, Turtle, or ESCO's CSV files or folder) into Learnpool's framework JSON",
    )
    .addOption(
      new Option("--format <format>", "input format (default: from the file extension)").choices([
        ...FRAMEWORK_SOURCE_FORMATS,
      ]),
    )
    .requiredOption("--out <framework.json>", "the framework file to write")
    .option(
      "--scheme <iri>",
      "the scheme to write when the input has several; the scheme of concepts that name none",
    )
    .option("--title <text>", "the framework's title when the input gives none")
    .option("--language <tag>", "language of ESCO CSV files whose names do not end in _<lang>.csv")
    .option("--languages <list>", "keep labels of these languages only, comma-separated (default: all)")
    .option(
      "--alignments-out <alignments.json>",
      "write the SKOS mapping relations found to this alignment set",
    )
    .action(async (files: string[], o: ImportCommandOptions) => {
      await importCommand(files, o);
    });
  skills
    .command("import-alignments <file>")
    .description(
      "add alignments from a CSV (source,relation,target,score?,status?) or a SKOS file to an alignment set",
    )
    .requiredOption("--out <alignments.json>", "the alignment set (created, or merged into)")
    .option("--source-scheme <iri>", "the source framework's scheme IRI")
    .option("--target-scheme <iri>", "the target framework's scheme IRI")
    .addOption(
      new Option("--status <status>", "status of rows that give none (default accepted)").choices([
        "suggested",
        "accepted",
        "rejected",
      ]),
    )
    .action(async (file: string, o: ImportAlignmentsOptions) => {
      await importAlignmentsCommand(file, o);
    });
  skills
    .command("suggest")
    .description(
      "suggest alignments from the source framework to the target by multilingual label similarity",
    )
    .requiredOption("--source <framework.json>", "the framework whose concepts are aligned")
    .requiredOption("--target <framework.json>", "the framework they are aligned to")
    .requiredOption(
      "--out <alignments.json>",
      "the alignment set (merged into when it exists: decisions are kept)",
    )
    .option("--min-score <n>", "smallest score suggested", "0.6")
    .option("--exact-score <n>", "score from which the suggestion is an exactMatch", "0.9")
    .option("--per-concept <n>", "suggestions kept per source concept", "3")
    .action((o: SuggestCommandOptions) => {
      suggestCommand(o);
    });
  skills
    .command("review <alignments>")
    .description("accept or reject suggestions; without a decision, list the pending ones")
    .option("--accept <src=tgt>", "accept an alignment (repeatable)", collect, [])
    .option(
      "--reject <src=tgt>",
      "reject an alignment; it will not be suggested again (repeatable)",
      collect,
      [],
    )
    .option("--relation <relation>", "relation settled by the accepted alignments (adds one not in the set)")
    .option("--reviewer <name>", "who decides (default: cli:<user>)")
    .option("--source <framework.json>", "source framework, to show labels in the pending list")
    .option("--target <framework.json>", "target framework, to show labels in the pending list")
    .action((file: string, o: ReviewCommandOptions) => {
      reviewCommand(file, o);
    });
  skills
    .command("translate")
    .description("translate the competencies of xAPI statements (JSON lines) into the target framework")
    .requiredOption("--alignments <alignments.json>", "the alignment set")
    .requiredOption("--target <frameworkId>", "the target framework's scheme IRI")
    .requiredOption("--in <statements.jsonl>", "statements: JSON lines or a JSON array")
    .requiredOption("--out <statements.jsonl>", "where the translated statements go (JSON lines)")
    .option("--target-framework <framework.json>", "the target framework: names translated activities")
    .option("--allow-broad-match", "also translate to a broader target concept (lossy)")
    .option("--include-suggested", "also use alignments nobody reviewed yet")
    .action((o: TranslateCommandOptions) => {
      translateCommand(o);
    });
  program.addCommand(skills);
  return skills;
}
