/**
 * An ODRL policy in plain words, for reading beside the JSON-LD: each permission, prohibition and
 * obligation as a sentence of its action, its constraints and its duties. It paraphrases; the
 * contract module's engine is what decides on the same policy.
 */
import { OPERATOR_NAMES } from "../../contract/odrl/vocab.js";
import { t } from "./i18n.js";
import type { MessageKey } from "./messages/en.js";

type Json = Record<string, unknown>;
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** An IRI, compact IRI or value as a reader says it: `dpv:AcademicResearch` → "academic research". */
export function words(v: unknown): string {
  const raw =
    typeof v === "string"
      ? v
      : v && typeof v === "object"
        ? String((v as Json)["@id"] ?? (v as Json)["@value"] ?? (v as Json)["rdf:value"] ?? JSON.stringify(v))
        : String(v);
  // Dates, numbers and durations stay as written.
  if (/^\d/.test(raw) || /^P(\d|T)/.test(raw)) return raw;
  const local = raw.replace(/^.*[#/]/, "").replace(/^[A-Za-z]+:/, "");
  // Words of a camel-cased name, lower-cased except acronyms (AI, EU).
  return local
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/_/g, " ")
    .split(" ")
    .map((w) => (/^[A-Z]{2,}$/.test(w) ? w : w.toLowerCase()))
    .join(" ");
}

const OPERANDS = ["purpose", "dateTime", "spatial", "count", "elapsedTime", "recipient"];

function constraint(c: Json): string {
  const logical = ["and", "or", "xone", "andSequence"].find((k) => k in c);
  if (logical) {
    const joiner = t(logical === "or" || logical === "xone" ? "odrl.or" : "odrl.and");
    return list(c[logical])
      .map((x) => constraint(x as Json))
      .join(` ${joiner} `);
  }
  const op = words(c.operator).replace(/ /g, "");
  const opKey = OPERATOR_NAMES.find((o) => o.toLowerCase() === op);
  const left = words(c.leftOperand);
  const leftKey = OPERANDS.find((o) => o.toLowerCase() === left.replace(/ /g, ""));
  const right = list(c.rightOperand).map(words).join(", ");
  return `${leftKey ? t(`odrl.left.${leftKey}` as MessageKey) : left} ${
    opKey ? t(`odrl.op.${opKey}` as MessageKey) : op
  } ${right}`;
}

const ACTIONS = [
  "use",
  "derive",
  "distribute",
  "delete",
  "read",
  "aggregate",
  "anonymize",
  "inform",
  "attribute",
];

function actionOf(r: Json): string {
  return list(r.action)
    .map((a) => {
      const name =
        a && typeof a === "object" && "rdf:value" in (a as Json) ? words((a as Json)["rdf:value"]) : words(a);
      return ACTIONS.includes(name) ? t(`odrl.action.${name}` as MessageKey) : name;
    })
    .join(", ");
}

function duty(d: Json): string {
  const conditions = list(d.constraint).map((c) => constraint(c as Json));
  return conditions.length > 0
    ? t("odrl.dutyWhen", { action: actionOf(d), conditions: conditions.join(` ${t("odrl.and")} `) })
    : t("odrl.duty", { action: actionOf(d) });
}

function rule(r: Json, kind: "permission" | "prohibition" | "obligation"): string {
  const refinements = list(r.action).flatMap((a) =>
    a && typeof a === "object" ? list((a as Json).refinement) : [],
  );
  const constraints = [...list(r.constraint), ...refinements].map((c) => constraint(c as Json));
  const parts = [t(`odrl.${kind}`, { action: actionOf(r) })];
  if (constraints.length > 0)
    parts.push(t("odrl.when", { conditions: constraints.join(` ${t("odrl.and")} `) }));
  const duties = list(r.duty).map((d) => duty(d as Json));
  if (duties.length > 0) parts.push(t("odrl.duties", { duties: duties.join("; ") }));
  return parts.join(" ");
}

export function plainWords(policy: unknown): string[] {
  if (!policy || typeof policy !== "object") return [];
  const p = policy as Json;
  return [
    ...list(p.permission).map((r) => rule(r as Json, "permission")),
    ...list(p.prohibition).map((r) => rule(r as Json, "prohibition")),
    ...list(p.obligation).map((r) => rule(r as Json, "obligation")),
  ];
}
