/**
 * Label normalization for matching: case, accents and punctuation do not distinguish two skills;
 * function words do not carry their meaning ("gérer une équipe" and "gérer l'équipe" are one skill).
 */

const STOPWORDS: Record<string, string[]> = {
  en: "a an the of and or to for in on at by with from into as its their your his her".split(" "),
  fr: "le la les l un une des de du d et ou a au aux en pour par sur avec dans son sa ses leur leurs se s".split(
    " ",
  ),
  de: "der die das den dem des ein eine einer einen und oder zu zum zur fur mit von im in an auf".split(" "),
  es: "el la los las un una unos unas de del y o a al en para por con su sus".split(" "),
  it: "il lo la i gli le un uno una di del della dei delle e o a al in per con su".split(" "),
  pt: "o a os as um uma de do da dos das e ou em no na para por com".split(" "),
  nl: "de het een en of van voor in op met aan te".split(" "),
};
const STOPWORD_SETS = new Map(Object.entries(STOPWORDS).map(([lang, words]) => [lang, new Set(words)]));
const ANY_STOPWORDS = new Set(Object.values(STOPWORDS).flat());

/** `fr-FR` → `fr`: labels are compared across regional variants of a language. */
export function primaryLanguage(tag: string): string {
  return tag.split("-")[0]!.toLowerCase();
}

/** Lowercase, without diacritics (é → e, œ → oe), punctuation turned to spaces. */
export function normalizeLabel(text: string): string {
  return text
    .replace(/[œŒ]/g, "oe")
    .replace(/[æÆ]/g, "ae")
    .replace(/ß/g, "ss")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * The words that carry a label's meaning, lightly stemmed (a final plural -s/-x dropped) so that
 * "équipes" meets "équipe". A label made only of function words keeps them.
 */
export function contentTokens(normalized: string, language: string): string[] {
  const words = normalized.split(" ").filter(Boolean);
  const stop = STOPWORD_SETS.get(primaryLanguage(language)) ?? ANY_STOPWORDS;
  const content = words.filter((w) => !stop.has(w));
  return (content.length > 0 ? content : words).map(stem);
}

function stem(word: string): string {
  if (word.length > 3 && (word.endsWith("s") || word.endsWith("x")) && !word.endsWith("ss"))
    return word.slice(0, -1);
  return word;
}

/**
 * Character trigrams of the content words, each word padded with one space so that its first and last
 * letters count (pg_trgm's two leading spaces would add a trigram per word shared by every word with the
 * same initial: long postings, little information).
 */
export function trigrams(tokens: string[]): string[] {
  const set = new Set<string>();
  for (const token of tokens) {
    const padded = ` ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) set.add(padded.slice(i, i + 3));
  }
  return [...set];
}
