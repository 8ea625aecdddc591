/**
 * The leak check of a de-identification run: it collects every identifier of the input (agents'
 * mbox, mbox_sha1sum, openid, account names and names wherever agents stand; the e-mails, phones,
 * INEs, NIRs, IP addresses, user ids in URLs and roster names found in any string), then searches the
 * output for each, in its exact and normalized forms (lower case, accents and separators ignored:
 * `Ada.Lovelace@Example.org` is found as `ada lovelace example org`; phones also as E.164 digits and
 * national digits). A leak is reported by kind and place (output line, JSON path), never by value.
 *
 * Matching is on whole words of folded text, so its cost grows with the output's words, not with the
 * number of identifiers. Identifiers too short to be searched without matching unrelated text (under
 * four letters or digits, or digits only shorter than seven) are counted apart as `notSearched`.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { foldText, type Scrubber } from "./scrub.js";

export type LeakKind =
  | "mbox"
  | "mbox_sha1sum"
  | "openid"
  | "account"
  | "name"
  | "email"
  | "phone"
  | "url"
  | "ip"
  | "ine"
  | "nir"
  | "roster-name";

export interface Leak {
  kind: LeakKind;
  /** The output record (line or index, from 1) and the JSON path where the identifier was found. */
  record: number;
  path: string;
}

export interface LeakCheckResult {
  /** Distinct identifiers of the input searched in the output. */
  searched: number;
  /** How many of them were found in the output: the run fails unless it is 0. */
  found: number;
  /** Identifiers too short to be searched (see the file's header). */
  notSearched: number;
  searchedByKind: Partial<Record<LeakKind, number>>;
  foundByKind: Partial<Record<LeakKind, number>>;
  /** The first places leaks were found (at most 100). */
  leaks: Leak[];
}

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_LEAKS_LISTED = 100;

function wordsOf(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

interface Needle {
  words: string[];
  kind: LeakKind;
  /** Index of the identifier it is a form of (several forms share one). */
  identifier: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isAgentShaped = (v: Record<string, unknown>): boolean =>
  v.mbox !== undefined || v.account !== undefined || v.openid !== undefined || v.mbox_sha1sum !== undefined;

export class LeakCheck {
  /** Needles by their first word. */
  private readonly byFirst = new Map<string, Needle[]>();
  private readonly seen = new Set<string>();
  private readonly kinds: LeakKind[] = [];
  private readonly foundIdentifiers = new Set<number>();
  private notSearched = 0;
  private readonly leaks: Leak[] = [];

  constructor(private readonly scrubber: Scrubber) {}

  /** Adds an identifier of the input in its forms; the same value of the same kind is added once. */
  add(kind: LeakKind, value: string): void {
    const key = `${kind}\u0000${value}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const forms = [wordsOf(kind === "mbox" ? value.replace(/^mailto:/i, "") : value)];
    if (kind === "phone") {
      const compact = value.replace(/[\s.()-]/g, "").replace(/^00/, "+");
      const phone = parsePhoneNumberFromString(compact, "FR");
      if (phone) {
        forms.push([phone.number.slice(1)], [`0${phone.nationalNumber}`], [phone.nationalNumber]);
        forms.push((phone.formatNational().match(/\d+/g) ?? []) as string[]);
      }
      forms.push([compact.replace(/^\+/, "")]);
    }
    if (kind === "nir" || kind === "ine") forms.push([foldText(value.replace(/\s/g, ""))]);
    const searchable = forms.filter((words) => {
      const joined = words.join("");
      return joined.length >= 4 && !(/^\d+$/.test(joined) && joined.length < 7);
    });
    if (searchable.length === 0) {
      this.notSearched++;
      return;
    }
    const identifier = this.kinds.length;
    this.kinds.push(kind);
    const distinct = new Set<string>();
    for (const words of searchable) {
      const joined = words.join(" ");
      if (distinct.has(joined)) continue;
      distinct.add(joined);
      const needle = { words, kind, identifier };
      const list = this.byFirst.get(words[0]!);
      if (list) list.push(needle);
      else this.byFirst.set(words[0]!, [needle]);
    }
  }

  /** Collects the identifiers of one input statement (any JSON value). */
  collect(value: unknown): void {
    if (typeof value === "string") {
      for (const f of this.scrubber.detect(value))
        this.add(f.kind === "name" ? "roster-name" : f.kind, f.value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.collect(item);
      return;
    }
    if (!isObj(value)) return;
    // Anything shaped like an agent gives its identifiers, wherever it stands.
    if (typeof value.mbox === "string") this.add("mbox", value.mbox);
    if (typeof value.mbox_sha1sum === "string") this.add("mbox_sha1sum", value.mbox_sha1sum);
    if (typeof value.openid === "string") this.add("openid", value.openid);
    if (isObj(value.account) && typeof value.account.name === "string")
      this.add("account", value.account.name);
    const isAgent =
      value.mbox !== undefined ||
      value.account !== undefined ||
      value.openid !== undefined ||
      value.mbox_sha1sum !== undefined ||
      value.objectType === "Agent" ||
      value.objectType === "Group";
    if (isAgent && typeof value.name === "string") this.add("name", value.name);
    for (const [key, item] of Object.entries(value)) {
      // Verbs and activity types are vocabulary, never a person's: a profile's IRIs (`…/profiles/
      // edlm-lms/concepts/verbs/enrolled`) look like user-id URLs, and would stop every build using them.
      if (key === "verb" && isObj(item) && !isAgentShaped(item)) continue;
      if (key === "definition" && isObj(item)) {
        for (const [k, v] of Object.entries(item)) if (k !== "type") this.collect(v);
        continue;
      }
      this.collect(item);
    }
  }

  /** Searches one output record (`record`: its line or index from 1) for every collected identifier. */
  search(value: unknown, record: number, path = "$"): void {
    if (typeof value === "string") {
      this.searchText(value, record, path);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        this.search(item, record, `${path}[${i}]`);
      });
      return;
    }
    if (!isObj(value)) return;
    for (const [key, item] of Object.entries(value)) {
      this.searchText(key, record, `${path}.${key}(key)`);
      this.search(item, record, `${path}.${key}`);
    }
  }

  private searchText(text: string, record: number, path: string): void {
    if (this.byFirst.size === 0) return;
    const words = wordsOf(text);
    for (let i = 0; i < words.length; i++) {
      const needles = this.byFirst.get(words[i]!);
      if (!needles) continue;
      for (const needle of needles) {
        let k = 1;
        while (k < needle.words.length && words[i + k] === needle.words[k]) k++;
        if (k < needle.words.length) continue;
        this.foundIdentifiers.add(needle.identifier);
        if (this.leaks.length < MAX_LEAKS_LISTED) this.leaks.push({ kind: needle.kind, record, path });
      }
    }
  }

  result(): LeakCheckResult {
    const searchedByKind: Partial<Record<LeakKind, number>> = {};
    const foundByKind: Partial<Record<LeakKind, number>> = {};
    this.kinds.forEach((kind, i) => {
      searchedByKind[kind] = (searchedByKind[kind] ?? 0) + 1;
      if (this.foundIdentifiers.has(i)) foundByKind[kind] = (foundByKind[kind] ?? 0) + 1;
    });
    return {
      searched: this.kinds.length,
      found: this.foundIdentifiers.size,
      notSearched: this.notSearched,
      searchedByKind,
      foundByKind,
      leaks: [...this.leaks],
    };
  }
}
