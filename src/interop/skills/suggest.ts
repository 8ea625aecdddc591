/**
 * Alignment suggestions from multilingual label similarity. Each source concept is compared with the
 * target concepts that share enough character trigrams with one of its labels (an inverted index, so
 * a 14,000-concept target is not scanned whole), in the languages both frameworks carry; the best
 * label pair gives the score.
 *
 * score(label a, label b) = ½ · weighted token Dice + ½ · trigram Dice, over normalized content words;
 * tokens weigh by their rarity in the target (IDF), so that sharing "équipe" counts for more than
 * sharing "gérer". Identical normalized labels score 1. Matching through a synonym (altLabel) or a
 * hidden label scores a little less than through the preferred labels, and labels of two different
 * languages (only tried when no language pairs up, untagged labels pairing with any) less again.
 * Candidates come from the trigram postings: target labels whose trigram Dice reaches minScore − 0.3.
 */
import { type Alignment, type AlignmentSet, alignmentKey, type MatchRelation } from "./alignments.js";
import { type Concept, type Framework, NO_LANGUAGE } from "./framework.js";
import { contentTokens, normalizeLabel, primaryLanguage, trigrams } from "./normalize.js";

export interface SuggestOptions {
  /** Smallest score suggested (default 0.6). */
  minScore?: number;
  /** From this score on, the suggestion is an exactMatch; below it a closeMatch (default 0.9). */
  exactScore?: number;
  /** Suggestions kept per source concept, best first (default 3). */
  perConcept?: number;
  /** Decisions already made: their pairs are not suggested again. */
  existing?: AlignmentSet;
  /** Source concepts with an accepted exactMatch get no more suggestions (default true). */
  skipAligned?: boolean;
}

export const DEFAULT_SUGGEST = { minScore: 0.6, exactScore: 0.9, perConcept: 3 } as const;

const KIND_WEIGHT = { pref: 1, alt: 0.97, hidden: 0.92 } as const;
const CROSS_LANGUAGE_WEIGHT = 0.8;
/** Candidates are target labels whose trigram Dice is at least minScore minus this margin. */
const CANDIDATE_MARGIN = 0.3;

type LabelKind = keyof typeof KIND_WEIGHT;

interface IndexedLabel {
  concept: number;
  text: string;
  language: string;
  kind: LabelKind;
  normalized: string;
  /** Content words, each once. */
  tokens: string[];
  /** Sum of the tokens' weights, for the weighted Dice. */
  tokenWeight: number;
  trigramCount: number;
}

interface LanguageIndex {
  labels: IndexedLabel[];
  postings: Map<string, Int32Array>;
  /** Scratch counters of shared trigrams, one per label, reset after each query. */
  shared: Int32Array;
  touched: Int32Array;
}

/** The target side, indexed once and queried for every source concept. */
export class TargetIndex {
  readonly concepts: Concept[];
  private readonly byLanguage = new Map<string, LanguageIndex>();
  private readonly tokenWeight = new Map<string, number>();
  private readonly unseenWeight: number;

  constructor(readonly framework: Framework) {
    this.concepts = [...framework.concepts.values()];
    const documentFrequency = new Map<string, number>();
    const building = new Map<string, { labels: IndexedLabel[]; postings: Map<string, number[]> }>();
    let labelCount = 0;
    this.concepts.forEach((concept, ci) => {
      for (const label of labelsOf(concept)) {
        const language = primaryLanguage(label.language);
        const normalized = normalizeLabel(label.text);
        if (!normalized) continue;
        let index = building.get(language);
        if (!index) {
          index = { labels: [], postings: new Map() };
          building.set(language, index);
        }
        const tokens = [...new Set(contentTokens(normalized, language))];
        const grams = trigrams(tokens);
        const id = index.labels.length;
        index.labels.push({
          concept: ci,
          text: label.text,
          language: label.language,
          kind: label.kind,
          normalized,
          tokens,
          tokenWeight: 0,
          trigramCount: grams.length,
        });
        for (const gram of grams) {
          const list = index.postings.get(gram);
          if (list) list.push(id);
          else index.postings.set(gram, [id]);
        }
        for (const token of tokens) documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
        labelCount++;
      }
    });
    for (const [token, df] of documentFrequency) this.tokenWeight.set(token, Math.log(1 + labelCount / df));
    this.unseenWeight = Math.log(1 + Math.max(labelCount, 1));
    for (const [language, index] of building) {
      for (const label of index.labels)
        label.tokenWeight = label.tokens.reduce((sum, t) => sum + this.weight(t), 0);
      const postings = new Map<string, Int32Array>();
      for (const [gram, list] of index.postings) postings.set(gram, Int32Array.from(list));
      this.byLanguage.set(language, {
        labels: index.labels,
        postings,
        shared: new Int32Array(index.labels.length),
        touched: new Int32Array(index.labels.length),
      });
    }
  }

  languages(): string[] {
    return [...this.byLanguage.keys()].sort();
  }

  weight(token: string): number {
    return this.tokenWeight.get(token) ?? this.unseenWeight;
  }

  /**
   * Calls `visit` for each target label of one language whose trigram Dice with the query reaches
   * `floor`. Shared trigrams are counted through the postings; only labels sharing one are touched.
   */
  candidates(
    language: string,
    grams: string[],
    floor: number,
    visit: (label: IndexedLabel, trigramDice: number) => void,
  ): void {
    const index = this.byLanguage.get(language);
    if (!index || grams.length === 0) return;
    const { shared, touched, labels } = index;
    let touchedCount = 0;
    for (const gram of grams) {
      const list = index.postings.get(gram);
      if (!list) continue;
      for (let i = 0; i < list.length; i++) {
        const id = list[i]!;
        if (shared[id] === 0) touched[touchedCount++] = id;
        shared[id]!++;
      }
    }
    for (let i = 0; i < touchedCount; i++) {
      const id = touched[i]!;
      const label = labels[id]!;
      const dice = (2 * shared[id]!) / (grams.length + label.trigramCount);
      shared[id] = 0;
      if (dice >= floor) visit(label, dice);
    }
  }
}

interface Best {
  score: number;
  source: { text: string; language: string };
  target: IndexedLabel;
}

/** Suggests alignments from every concept of `source` to concepts of `target`. */
export function suggestAlignments(
  source: Framework,
  target: Framework | TargetIndex,
  options: SuggestOptions = {},
): Alignment[] {
  const index = target instanceof TargetIndex ? target : new TargetIndex(target);
  const minScore = options.minScore ?? DEFAULT_SUGGEST.minScore;
  const exactScore = options.exactScore ?? DEFAULT_SUGGEST.exactScore;
  const perConcept = options.perConcept ?? DEFAULT_SUGGEST.perConcept;
  const decided = new Set<string>();
  const aligned = new Set<string>();
  for (const a of options.existing?.alignments ?? []) {
    if (a.status !== "suggested") decided.add(alignmentKey(a.source, a.target));
    if (a.status === "accepted" && a.relation === "exactMatch") aligned.add(a.source);
  }
  const targetLanguages = new Set(index.languages());
  const sourceLanguages = new Set<string>();
  for (const concept of source.concepts.values())
    for (const label of labelsOf(concept)) sourceLanguages.add(primaryLanguage(label.language));
  const pairs = languagePairs(sourceLanguages, targetLanguages);

  const out: Alignment[] = [];
  for (const concept of source.concepts.values()) {
    if (options.skipAligned !== false && aligned.has(concept.iri)) continue;
    const best = new Map<number, Best>();
    for (const label of labelsOf(concept)) {
      const language = primaryLanguage(label.language);
      const normalized = normalizeLabel(label.text);
      if (!normalized) continue;
      const tokens = [...new Set(contentTokens(normalized, language))];
      const grams = trigrams(tokens);
      const queryWeights = new Map(tokens.map((t) => [t, index.weight(t)]));
      let queryWeight = 0;
      for (const w of queryWeights.values()) queryWeight += w;
      for (const [from, to, languageWeight] of pairs) {
        if (from !== language) continue;
        const weight = KIND_WEIGHT[label.kind] * languageWeight;
        // score ≤ ½ + ½·trigramDice (the weights only lower it) bounds the floor from below; in practice a
        // pair whose trigrams differ that much does not share its words either, hence the higher floor.
        const floor = Math.max(0, (2 * minScore) / weight - 1, minScore - CANDIDATE_MARGIN);
        index.candidates(to, grams, floor, (candidate, trigramDice) => {
          let common = 0;
          let matched = 0;
          for (const t of candidate.tokens) {
            const w = queryWeights.get(t);
            if (w !== undefined) {
              common += w;
              matched++;
            }
          }
          const tokenDice = (2 * common) / (queryWeight + candidate.tokenWeight);
          const sameWords = matched === tokens.length && candidate.tokens.length === tokens.length;
          const raw =
            candidate.normalized === normalized || sameWords ? 1 : 0.5 * tokenDice + 0.5 * trigramDice;
          const score = raw * weight * (candidate.kind === "pref" ? 1 : KIND_WEIGHT[candidate.kind]);
          const previous = best.get(candidate.concept);
          if (!previous || score > previous.score)
            best.set(candidate.concept, {
              score,
              source: { text: label.text, language: label.language },
              target: candidate,
            });
        });
      }
    }
    const ranked = [...best.entries()]
      .filter(
        ([ci, b]) => b.score >= minScore && !decided.has(alignmentKey(concept.iri, index.concepts[ci]!.iri)),
      )
      .sort(
        (a, b) => b[1].score - a[1].score || (index.concepts[a[0]]!.iri < index.concepts[b[0]]!.iri ? -1 : 1),
      )
      .slice(0, perConcept);
    for (const [ci, b] of ranked) {
      // The relation follows the score as written, so that the file never contradicts itself.
      const score = Math.round(b.score * 1000) / 1000;
      const relation: MatchRelation = score >= exactScore ? "exactMatch" : "closeMatch";
      out.push({
        source: concept.iri,
        target: index.concepts[ci]!.iri,
        relation,
        status: "suggested",
        origin: "label-similarity",
        score,
        sourceScheme: source.id,
        targetScheme: index.framework.id,
        evidence: {
          sourceLabel: b.source.text,
          sourceLanguage: b.source.language,
          targetLabel: b.target.text,
          targetLanguage: b.target.language,
        },
      });
    }
  }
  return out;
}

/**
 * Which source language is compared with which target language: each language with itself; untagged
 * labels (`und`) with every language, since nothing says they differ; and every language with every
 * other, at a discount, only when nothing else pairs up.
 */
function languagePairs(source: Set<string>, target: Set<string>): Array<[string, string, number]> {
  const pairs: Array<[string, string, number]> = [];
  for (const s of source) {
    for (const t of target) {
      if (s === t || s === NO_LANGUAGE || t === NO_LANGUAGE) pairs.push([s, t, 1]);
    }
  }
  if (pairs.length > 0) return pairs;
  return [...source].flatMap((s) =>
    [...target].map((t): [string, string, number] => [s, t, CROSS_LANGUAGE_WEIGHT]),
  );
}

/** The similarity of two labels, as the suggester computes it (for reviewers and tests). */
export function labelSimilarity(a: string, b: string, language: string, index?: TargetIndex): number {
  const na = normalizeLabel(a);
  const nb = normalizeLabel(b);
  const lang = primaryLanguage(language);
  const ta = contentTokens(na, lang);
  const tb = contentTokens(nb, lang);
  if (na === nb || sameTokens(ta, tb)) return 1;
  const ga = new Set(trigrams(ta));
  const gb = trigrams(tb);
  const common = gb.filter((g) => ga.has(g)).length;
  const trigramDice = ga.size + gb.length === 0 ? 0 : (2 * common) / (ga.size + gb.length);
  const weights = index ?? { weight: () => 1 };
  return 0.5 * weightedTokenDice(ta, tb, weights) + 0.5 * trigramDice;
}

function weightedTokenDice(a: string[], b: string[], weights: { weight(token: string): number }): number {
  const setA = new Set(a);
  const setB = new Set(b);
  let sumA = 0;
  let sumB = 0;
  let common = 0;
  for (const t of setA) {
    const w = weights.weight(t);
    sumA += w;
    if (setB.has(t)) common += w;
  }
  for (const t of setB) sumB += weights.weight(t);
  return sumA + sumB === 0 ? 0 : (2 * common) / (sumA + sumB);
}

/** The same words in another order ("team management" / "management, team"). */
function sameTokens(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((t, i) => t === sb[i]);
}

function labelsOf(concept: Concept): Array<{ text: string; language: string; kind: LabelKind }> {
  const out: Array<{ text: string; language: string; kind: LabelKind }> = [];
  for (const [language, text] of Object.entries(concept.prefLabel))
    out.push({ text, language, kind: "pref" });
  for (const [language, texts] of Object.entries(concept.altLabels))
    for (const text of texts) out.push({ text, language, kind: "alt" });
  for (const [language, texts] of Object.entries(concept.hiddenLabels))
    for (const text of texts) out.push({ text, language, kind: "hidden" });
  return out;
}
