/**
 * Free-text scrubbing, French and English: finds what identifies a person in text written by people
 * (responses, forum posts, comments) and replaces each find with a typed placeholder (`[email]`,
 * `[phone]`, `[name]`…). The same finder serves the leak check (`detect`), which collects the
 * identifiers of an input. Pure; the roster of the provider's learners and staff is given as data.
 *
 * Found: e-mail addresses; phone numbers (French national and international forms, validated by
 * libphonenumber-js); user ids in URLs (query parameters such as `user=`, `uid=`, `id=`, path segments
 * after `/user/`, `/profile/`, `/u/`…; the rest of the URL is kept); IPv4 and IPv6 addresses (checked
 * by node:net); INE (ten letters or digits, at least two digits, then a letter, upper case); NIR (13
 * characters, Corsican departments 2A/2B included, spaces allowed, and its 2-digit key checked mod 97);
 * the roster's names, as whole words, case- and accent-insensitively, multi-word names first.
 */
import { isIPv4, isIPv6 } from "node:net";
import { parse as parseCsv } from "csv-parse/sync";
import { parsePhoneNumberFromString } from "libphonenumber-js";

export type ScrubKind = "email" | "phone" | "url" | "ip" | "ine" | "nir" | "name";
export const SCRUB_KINDS: readonly ScrubKind[] = ["email", "phone", "url", "ip", "ine", "nir", "name"];

export type ScrubCounts = Record<ScrubKind, number>;

export function emptyScrubCounts(): ScrubCounts {
  return { email: 0, phone: 0, url: 0, ip: 0, ine: 0, nir: 0, name: 0 };
}

/** One person of the provider's roster. */
export interface RosterName {
  given: string;
  family: string;
}

/** A find: its kind, the clear text found (never to be logged), and where. */
export interface Find {
  kind: ScrubKind;
  value: string;
  start: number;
  end: number;
}

const EMAIL = String.raw`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}`;
const URL = String.raw`\b(?:https?|ftp):\/\/[^\s<>"'\]\[)(]+|\bwww\.[^\s<>"'\]\[)(]+`;
const IPV6 = String.raw`(?<![\w:.])(?=[0-9A-Fa-f:.]*[0-9A-Fa-f]:|[0-9A-Fa-f:.]*::)(?:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,6}:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:]|\.\d)`;
const IPV4 = String.raw`(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)`;
const NIR = String.raw`(?<![\p{L}\p{N}])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}(?![\p{L}\p{N}])`;
const PHONE_FR = String.raw`(?<![\p{L}\p{N}+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?![\p{L}\p{N}])`;
const PHONE_INTL = String.raw`(?<![\p{L}\p{N}+])(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}(?![\p{L}\p{N}])`;
const INE = String.raw`(?<![\p{L}\p{N}])(?=(?:[A-Z]*\d){2})[0-9A-Z]{10}[A-Z](?![\p{L}\p{N}])`;

/** One alternation, tried left to right at each position: the more specific shapes first. */
const PATTERN = new RegExp(
  `(?<email>${EMAIL})|(?<url>${URL})|(?<nir>${NIR})|(?<phone>${PHONE_FR}|${PHONE_INTL})|(?<ipv6>${IPV6})|(?<ipv4>${IPV4})|(?<ine>${INE})`,
  "gu",
);

/**
 * Whether a text may hold something PATTERN finds, by one scan of its characters: an @ (e-mail), a
 * URL with a query or a user segment, a run of digits and separators with seven digits or more (phones, NIR) or three dots (IPv4),
 * `::` or seven colons (IPv6), two digits and an upper-case letter (INE). Most strings of a trace
 * (ids, numbers, segments) fail it and skip the regular expression.
 */
export function mayHoldIdentifier(text: string): boolean {
  let runDigits = 0;
  let runDots = 0;
  let digits = 0;
  let colons = 0;
  let upper = false;
  let url = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (++runDigits >= 7) return true;
      continue;
    }
    if (c === 64) return true; // @
    if (c === 46) {
      if (++runDots >= 3 && runDigits >= 4) return true;
      continue;
    }
    if (c === 58) {
      // ://, ::
      const next = text.charCodeAt(i + 1);
      if (next === 58) return true;
      if (next === 47 && text.charCodeAt(i + 2) === 47) url = true;
      colons++;
      runDigits = 0;
      runDots = 0;
      continue;
    }
    if (c === 32 || c === 45 || c === 40 || c === 41 || c === 43 || c === 0xa0) continue; // space - ( ) +
    if (c >= 65 && c <= 90) upper = true;
    else if (c === 119 && text.startsWith("www.", i)) url = true;
    else if (c > 127 && /\p{Nd}/u.test(text[i]!)) return true;
    runDigits = 0;
    runDots = 0;
  }
  return colons >= 7 || (upper && digits >= 2) || (url && URL_USER_HINT.test(text));
}

/** A URL is worth the full search only with a query or a segment that may name a user. */
const URL_USER_HINT =
  /[?&;][\w-]*=|\/(?:users?|profiles?|u|members?|people|learners?|students?|accounts?|~)\//i;

const EMAILS = new RegExp(EMAIL, "gu");
const USER_PARAM =
  /([?&;](?:user|users|userid|user_id|uid|id|u|username|login|learner|learner_id|student|student_id|account|email|mail|member)=)([^&#;\s]+)/gi;
const USER_SEGMENT =
  /(\/(?:user|users|profile|profiles|u|member|members|people|learner|learners|student|students|account|accounts|~)\/)([^/?#\s.]+)(?=[/?#\s]|$)/gi;

/** Key of a NIR: 97 minus the number (2A → 19, 2B → 18 for Corsica) modulo 97. */
export function isValidNir(text: string): boolean {
  const s = text.replace(/\s/g, "").toUpperCase();
  if (s.length !== 15) return false;
  let body = s.slice(0, 13);
  if (body.slice(5, 7) === "2A") body = `${body.slice(0, 5)}19${body.slice(7)}`;
  else if (body.slice(5, 7) === "2B") body = `${body.slice(0, 5)}18${body.slice(7)}`;
  if (!/^\d{13}$/.test(body)) return false;
  let mod = 0;
  for (let i = 0; i < body.length; i++) mod = (mod * 10 + (body.charCodeAt(i) - 48)) % 97;
  return 97 - mod === Number(s.slice(13));
}

function isPhone(text: string, national: boolean): boolean {
  const compact = text.replace(/[\s.()-]/g, "");
  if (national) return true; // the French pattern is specific enough: 0 then nine digits, or +33.
  const international = compact.startsWith("00") ? `+${compact.slice(2)}` : compact;
  return parsePhoneNumberFromString(international)?.isPossible() === true;
}

/** Lower case without accents, the form names are compared in. */
export function foldText(text: string): string {
  const lower = text.toLowerCase();
  if (!/[^\x00-\x7f]/.test(lower)) return lower;
  return lower.normalize("NFD").replace(/\p{M}+/gu, "");
}

const WORD = /[\p{L}\p{N}]+/gu;
/** What may stand between the words of one name: spaces, a hyphen, an apostrophe, a dot. */
const NAME_GLUE = /^[\s'’.-]{1,3}$/;

interface NameNode {
  next: Map<string, NameNode>;
  /** A whole name ends here: full name, or a part alone. */
  end: "full" | "part" | undefined;
}

function words(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

/**
 * The roster's names in a trie of folded words: `jean` → `pierre` → `martin`. Text is read word by
 * word and each word starts at most one walk down the trie, so the cost does not grow with the roster.
 */
export class NameIndex {
  private readonly root = new Map<string, NameNode>();
  /** Full names (given + family, both orders), as word sequences: what the leak check searches. */
  readonly fullNames: string[][] = [];
  readonly size: number;

  constructor(roster: readonly RosterName[], parts: "all" | "family" = "all") {
    for (const person of roster) {
      const given = words(person.given);
      const family = words(person.family);
      if (given.length > 0 && family.length > 0) {
        this.add([...given, ...family], "full");
        this.add([...family, ...given], "full");
        this.fullNames.push([...given, ...family], [...family, ...given]);
      }
      if (family.length > 0) this.add(family, "part");
      if (parts === "all" && given.length > 0) this.add(given, "part");
    }
    this.size = roster.length;
  }

  private add(sequence: string[], kind: "full" | "part"): void {
    let level = this.root;
    let node: NameNode | undefined;
    for (const w of sequence) {
      node = level.get(w);
      if (!node) {
        node = { next: new Map(), end: undefined };
        level.set(w, node);
      }
      level = node.next;
    }
    if (node && node.end !== "full") node.end = kind;
  }

  /** The names in `text`, longest first at each word, as finds. */
  find(text: string, out: Find[]): void {
    if (this.root.size === 0) return;
    const found: { start: number; end: number; word: string }[] = [];
    WORD.lastIndex = 0;
    for (let m = WORD.exec(text); m !== null; m = WORD.exec(text))
      found.push({ start: m.index, end: m.index + m[0].length, word: foldText(m[0]) });
    for (let i = 0; i < found.length; i++) {
      const first = this.root.get(found[i]!.word);
      if (!first) continue;
      let node: NameNode = first;
      let last = node.end ? i : -1;
      let j = i;
      while (j + 1 < found.length) {
        const glue = text.slice(found[j]!.end, found[j + 1]!.start);
        if (!NAME_GLUE.test(glue)) break;
        const next: NameNode | undefined = node.next.get(found[j + 1]!.word);
        if (!next) break;
        node = next;
        j++;
        if (node.end) last = j;
      }
      if (last < 0) continue;
      out.push({
        kind: "name",
        value: text.slice(found[i]!.start, found[last]!.end),
        start: found[i]!.start,
        end: found[last]!.end,
      });
      i = last;
    }
  }
}

function findPatterns(text: string, out: Find[]): void {
  if (!mayHoldIdentifier(text)) return;
  PATTERN.lastIndex = 0;
  for (let m = PATTERN.exec(text); m !== null; m = PATTERN.exec(text)) {
    const g = m.groups!;
    const value = m[0];
    const start = m.index;
    const end = start + value.length;
    if (g.email !== undefined) out.push({ kind: "email", value, start, end });
    else if (g.url !== undefined) {
      // A URL is a find only through the user ids it holds; e-mails inside it are finds of their own.
      const inner: Find[] = [];
      findUrlParts(value, inner);
      for (const f of inner) out.push({ ...f, start: f.start + start, end: f.end + start });
    } else if (g.nir !== undefined) {
      if (isValidNir(value)) out.push({ kind: "nir", value, start, end });
    } else if (g.phone !== undefined) {
      if (isPhone(value, /^(?:0[1-9]|(?:\+|00)33)/.test(value.replace(/\s/g, ""))))
        out.push({ kind: "phone", value, start, end });
    } else if (g.ipv6 !== undefined) {
      if (isIPv6(value) && /[0-9a-f]/i.test(value) && !/^\d{1,2}(:\d{1,2}){1,2}$/.test(value))
        out.push({ kind: "ip", value, start, end });
    } else if (g.ipv4 !== undefined) {
      if (isIPv4(value)) out.push({ kind: "ip", value, start, end });
    } else if (g.ine !== undefined) out.push({ kind: "ine", value, start, end });
  }
}

/** Inside a URL: the values of user-id parameters and segments, and e-mail addresses. */
function findUrlParts(url: string, out: Find[]): void {
  const parts: Find[] = [];
  for (const re of [USER_PARAM, USER_SEGMENT]) {
    re.lastIndex = 0;
    for (let m = re.exec(url); m !== null; m = re.exec(url)) {
      const start = m.index + m[1]!.length;
      parts.push({ kind: "url", value: m[2]!, start, end: start + m[2]!.length });
    }
  }
  const emails = EMAILS;
  emails.lastIndex = 0;
  for (let m = emails.exec(url); m !== null; m = emails.exec(url))
    parts.push({ kind: "email", value: m[0], start: m.index, end: m.index + m[0].length });
  parts.sort((a, b) => a.start - b.start || b.end - a.end);
  let reached = -1;
  for (const p of parts) {
    if (p.start < reached) continue;
    out.push(p);
    reached = p.end;
  }
}

const PLACEHOLDER: Record<ScrubKind, string> = {
  email: "[email]",
  phone: "[phone]",
  url: "[user-id]",
  ip: "[ip]",
  ine: "[ine]",
  nir: "[nir]",
  name: "[name]",
};

export class Scrubber {
  constructor(readonly names: NameIndex = new NameIndex([])) {}

  /** Everything identifying in `text`, in order, without overlaps (the earlier, then the longer, wins). */
  detect(text: string): Find[] {
    const finds: Find[] = [];
    findPatterns(text, finds);
    this.names.find(text, finds);
    if (finds.length < 2) return finds;
    finds.sort((a, b) => a.start - b.start || b.end - a.end);
    const kept: Find[] = [];
    let reached = -1;
    for (const f of finds) {
      if (f.start < reached) continue;
      kept.push(f);
      reached = f.end;
    }
    return kept;
  }

  /** `text` with each find replaced by its placeholder; `counts` (if given) gains one per find. */
  scrub(text: string, counts?: ScrubCounts): string {
    const finds = this.detect(text);
    if (finds.length === 0) return text;
    let out = "";
    let at = 0;
    for (const f of finds) {
      out += text.slice(at, f.start) + PLACEHOLDER[f.kind];
      at = f.end;
      if (counts) counts[f.kind]++;
    }
    return out + text.slice(at);
  }
}

const GIVEN_COLUMNS = ["given", "given_name", "givenname", "first_name", "firstname", "prenom", "forename"];
const FAMILY_COLUMNS = [
  "family",
  "family_name",
  "familyname",
  "last_name",
  "lastname",
  "surname",
  "nom",
  "nom_de_famille",
];

/**
 * A roster CSV (`,`, `;` or tab separated, a header row): given names in a column such as
 * `given_name`, `first_name` or `prénom`, family names in one such as `family_name`, `last_name` or
 * `nom`. `source` names the file in errors, which never quote a name.
 */
export function parseRoster(csv: string, source = "roster"): RosterName[] {
  let rows: string[][];
  try {
    rows = parseCsv(csv, {
      delimiter: [",", ";", "\t"],
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    });
  } catch (err) {
    throw new Error(`${source}: malformed CSV (${(err as { code?: string }).code ?? "parse error"})`);
  }
  const header = (rows[0] ?? []).map((h) => foldText(h).replace(/[\s-]+/g, "_"));
  const given = header.findIndex((h) => GIVEN_COLUMNS.includes(h));
  const family = header.findIndex((h) => FAMILY_COLUMNS.includes(h));
  if (given < 0 || family < 0)
    throw new Error(
      `${source}: the header needs a given-name column (${GIVEN_COLUMNS.join(", ")}) and a family-name column (${FAMILY_COLUMNS.join(", ")})`,
    );
  const roster: RosterName[] = [];
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!;
    const person = { given: row[given] ?? "", family: row[family] ?? "" };
    if (person.given !== "" || person.family !== "") roster.push(person);
  }
  return roster;
}
