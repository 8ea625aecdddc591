/**
 * An ODRL policy in plain words, for reading beside the JSON-LD: each permission, prohibition and
 * duty as a sentence of its action and constraints. It paraphrases; the engine's reading of the same
 * policy (contract module) is what decides.
 */
import { t } from "./i18n.js";
import type { MessageKey } from "./messages/en.js";

type Json = Record<string, unknown>;
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const name = (v: unknown): string => {
  const s =
    typeof v === "string"
      ? v
      : v && typeof v === "object"
        ? String(
            (v as Json)["@id"] ??
              (v as Json)["@value"] ??
              (v as Json).value ??
              (v as Json)["rdf:value"] ??
              JSON.stringify(v),
          )
        : String(v);
  return s.replace(/^.*[#/]/, "").replace(/^(odrl|dpv|lp|pd):/, "");
};

const OPERATORS: Record<string, MessageKey> = {
  eq: "odrl.op.eq",
  neq: "odrl.op.neq",
  lt: "odrl.op.lt",
  lteq: "odrl.op.lteq",
  gt: "odrl.op.gt",
  gteq: "odrl.op.gteq",
  isA: "odrl.op.isA",
  isAnyOf: "odrl.op.isAnyOf",
  isAllOf: "odrl.op.isAllOf",
  isNoneOf: "odrl.op.isNoneOf",
  isPartOf: "odrl.op.isPartOf",
};

function constraint(c: Json): string {
  const logical = ["and", "or", "xone", "andSequence"].find((k) => k in c);
  if (logical)
    return list(c[logical])
      .map((x) => constraint(x as Json))
      .join(` ${t(`odrl.${logical === "or" || logical === "xone" ? "or" : "and"}` as MessageKey)} `);
  const op = name(c.operator);
  const right = list(c.rightOperand).map(name).join(", ");
  return `${name(c.leftOperand)} ${OPERATORS[op] ? t(OPERATORS[op]) : op} ${right}`;
}

function rule(r: Json, kind: "permission" | "prohibition" | "obligation" | "duty"): string {
  const actions = list(r.action).map((a) =>
    a && typeof a === "object" && "rdf:value" in (a as Json) ? name((a as Json)["rdf:value"]) : name(a),
  );
  const constraints = [...list(r.constraint), ...list((r.action as Json | undefined)?.refinement)].map((c) =>
    constraint(c as Json),
  );
  const parts = [t(`odrl.${kind}` as MessageKey, { action: actions.join(", ") })];
  if (constraints.length > 0) parts.push(t("odrl.when", { conditions: constraints.join("; ") }));
  const duties = list(r.duty).map((d) => rule(d as Json, "duty"));
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
