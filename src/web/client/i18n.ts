/// <reference lib="dom" />
/**
 * French and English: every string the console shows comes from one of the two catalogs (same keys,
 * checked by a test). The choice is kept in localStorage and set on <html lang>.
 */
import { en, type MessageKey } from "./messages/en.js";
import { fr } from "./messages/fr.js";

export type Lang = "fr" | "en";
export const CATALOGS: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, fr };
const STORE = "learnpool.lang";

let current: Lang = "fr";

export function initLang(): Lang {
  const saved = localStorage.getItem(STORE);
  current = saved === "en" || saved === "fr" ? saved : navigator.language.startsWith("en") ? "en" : "fr";
  document.documentElement.lang = current;
  return current;
}

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem(STORE, l);
  document.documentElement.lang = l;
}

/** The message in the current language, `{name}` replaced by `vars.name`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return CATALOGS[current][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in vars ? String(vars[name]) : m,
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(current === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString(current === "fr" ? "fr-FR" : "en-GB", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}
