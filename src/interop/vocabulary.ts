/**
 * The one registry of the xAPI vocabulary Learnpool's converters emit: verbs, activity types and
 * extensions, each with its IRI, a display label and the converters that use it. Each converter
 * exports `<name>Vocabulary` (its IRIs by kind) from its entry file and adds one line to `sources`.
 */
import { caliperVocabulary } from "./caliper/index.js";
import { cmi5Vocabulary } from "./cmi5/index.js";
import { csvVocabulary } from "./csv/index.js";
import { edxVocabulary } from "./edx/index.js";
import { isObject } from "./json.js";
import { moodleVocabulary } from "./moodle/index.js";
import { ouladVocabulary } from "./oulad/index.js";
import { scormVocabulary } from "./scorm/index.js";

export type TermKind = "verb" | "activityType" | "extension";

/** One term a converter emits. */
export interface VocabularyTerm {
  kind: TermKind;
  iri: string;
  /** The display label (the verb's `display`, the type's or extension's name), in English. */
  label: string;
}

export interface RegisteredTerm extends VocabularyTerm {
  /** The formats whose converters emit it, by `--from` name. */
  usedBy: string[];
}

/** What a converter exports as `<name>Vocabulary`: the IRIs it emits, by kind; labels when it has them. */
export interface ConverterVocabulary {
  verbs: readonly string[];
  activityTypes: readonly string[];
  extensions: readonly string[];
  /** Display labels by IRI; absent ones are taken from the IRI's last segment. */
  labels?: Readonly<Record<string, string>>;
}

/** Each converter's vocabulary, by format name. One line per converter. */
const sources: [string, ConverterVocabulary][] = [
  ["edx", edxVocabulary],
  ["moodle", moodleVocabulary],
  ["caliper", caliperVocabulary],
  ["scorm", scormVocabulary],
  ["cmi5", cmi5Vocabulary],
  ["csv", csvVocabulary],
  ["oulad", ouladVocabulary],
];

/** `http://adlnet.gov/expapi/verbs/completed` → `completed`; `…/extensions/time-from` → `time-from`. */
export function labelFromIri(iri: string): string {
  const trimmed = iri.replace(/[/#]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("#"), trimmed.lastIndexOf(":"));
  return decodeURIComponent(trimmed.slice(cut + 1)) || iri;
}

/** The terms of a converter's vocabulary, labelled. */
export function termsOfVocabulary(vocabulary: ConverterVocabulary): VocabularyTerm[] {
  const label = (iri: string) => vocabulary.labels?.[iri] ?? labelFromIri(iri);
  return [
    ...vocabulary.verbs.map((iri) => ({ kind: "verb" as const, iri, label: label(iri) })),
    ...vocabulary.activityTypes.map((iri) => ({ kind: "activityType" as const, iri, label: label(iri) })),
    ...vocabulary.extensions.map((iri) => ({ kind: "extension" as const, iri, label: label(iri) })),
  ];
}

/** Builds the registry from vocabularies (the converters' by default), merging terms by kind and IRI. */
export function buildVocabulary(
  from: readonly (readonly [string, ConverterVocabulary])[] = sources,
): Map<string, RegisteredTerm> {
  const registry = new Map<string, RegisteredTerm>();
  for (const [format, vocabulary] of from) {
    for (const term of termsOfVocabulary(vocabulary)) {
      const key = `${term.kind} ${term.iri}`;
      const known = registry.get(key);
      if (known) {
        if (!known.usedBy.includes(format)) known.usedBy.push(format);
      } else registry.set(key, { ...term, usedBy: [format] });
    }
  }
  return registry;
}

export const vocabulary: Map<string, RegisteredTerm> = buildVocabulary();

export function isRegistered(kind: TermKind, iri: string, registry = vocabulary): boolean {
  return registry.has(`${kind} ${iri}`);
}

/** Every verb, activity type and extension IRI a statement uses (SubStatements and context included). */
export function termsOf(statement: unknown): { kind: TermKind; iri: string }[] {
  const out: { kind: TermKind; iri: string }[] = [];
  const extensions = (value: unknown) => {
    if (isObject(value)) for (const iri of Object.keys(value)) out.push({ kind: "extension", iri });
  };
  const activity = (value: unknown) => {
    if (!isObject(value) || !isObject(value.definition)) return;
    if (typeof value.definition.type === "string")
      out.push({ kind: "activityType", iri: value.definition.type });
    extensions(value.definition.extensions);
  };
  const walk = (s: unknown) => {
    if (!isObject(s)) return;
    if (isObject(s.verb) && typeof s.verb.id === "string") out.push({ kind: "verb", iri: s.verb.id });
    if (isObject(s.object)) {
      if (s.object.objectType === "SubStatement") walk(s.object);
      else activity(s.object);
    }
    if (isObject(s.result)) extensions(s.result.extensions);
    if (isObject(s.context)) {
      extensions(s.context.extensions);
      const lists = s.context.contextActivities;
      if (isObject(lists)) {
        for (const list of Object.values(lists)) {
          for (const a of Array.isArray(list) ? list : [list]) activity(a);
        }
      }
    }
  };
  walk(statement);
  return out;
}

const KIND_TITLES: Record<TermKind, string> = {
  verb: "Verbs",
  activityType: "Activity types",
  extension: "Extensions",
};

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** The README's tables of the vocabulary: one per kind, sorted by IRI. */
export function vocabularyMarkdown(registry = vocabulary): string {
  const sections: string[] = [];
  for (const kind of ["verb", "activityType", "extension"] as TermKind[]) {
    const terms = [...registry.values()]
      .filter((t) => t.kind === kind)
      .sort((a, b) => (a.iri < b.iri ? -1 : 1));
    if (terms.length === 0) continue;
    const rows = terms.map((t) => `| ${cell(t.label)} | \`${cell(t.iri)}\` | ${t.usedBy.join(", ")} |`);
    sections.push(
      [`#### ${KIND_TITLES[kind]}`, "", "| label | IRI | emitted by |", "| --- | --- | --- |", ...rows].join(
        "\n",
      ),
    );
  }
  return sections.length > 0 ? `${sections.join("\n\n")}\n` : "No converter vocabulary is registered yet.\n";
}
