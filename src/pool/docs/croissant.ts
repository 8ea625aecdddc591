/**
 * MLCommons Croissant 1.1 metadata (`croissant.json`) for a dataset version, with the RAI 1.0 fields
 * and the agreement's ODRL policy as `usageInfo` (the spec's "Fine-grained control with ODRL"), and a
 * checker of what we emit: every key a term of the JSON-LD context in scope (or a compact IRI with a
 * declared prefix, or a schema.org property we use through `@vocab`), and the required properties.
 *
 * Layout: one `cr:FileObject` per file (sha256, size), one `cr:FileSet` per record set and format
 * listing exactly its files, since a record set spans several shards; fields read a column of that set,
 * or of the file itself when there is only one. Splits are the spec's `cr:Split` record set, referenced
 * by a `split` field taken from each file's path.
 */
import type { JsonObject, VersionDescription, VersionFile } from "./description.js";

export const CROISSANT_SPEC = "http://mlcommons.org/croissant/1.1";
export const CROISSANT_RAI_SPEC = "http://mlcommons.org/croissant/RAI/1.0";
export const ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld";

/** Appendix 1 of the Croissant 1.1 specification (its `rai` prefix included). */
export const CROISSANT_CONTEXT: JsonObject = {
  "@language": "en",
  "@vocab": "http://schema.org/",
  sc: "http://schema.org/",
  cr: "http://mlcommons.org/croissant/",
  rai: "http://mlcommons.org/croissant/RAI/",
  dct: "http://purl.org/dc/terms/",
  annotation: "cr:annotation",
  arrayShape: "cr:arrayShape",
  citeAs: "cr:citeAs",
  column: "cr:column",
  conformsTo: "dct:conformsTo",
  containedIn: "cr:containedIn",
  data: { "@id": "cr:data", "@type": "@json" },
  dataType: { "@id": "cr:dataType", "@type": "@vocab" },
  equivalentProperty: "cr:equivalentProperty",
  examples: { "@id": "cr:examples", "@type": "@json" },
  excludes: "cr:excludes",
  extract: "cr:extract",
  field: "cr:field",
  fileProperty: "cr:fileProperty",
  fileObject: "cr:fileObject",
  fileSet: "cr:fileSet",
  format: "cr:format",
  includes: "cr:includes",
  isArray: "cr:isArray",
  isLiveDataset: "cr:isLiveDataset",
  jsonPath: "cr:jsonPath",
  key: "cr:key",
  md5: "cr:md5",
  parentField: "cr:parentField",
  recordSet: "cr:recordSet",
  references: "cr:references",
  regex: "cr:regex",
  readLines: "cr:readLines",
  sdVersion: "cr:sdVersion",
  separator: "cr:separator",
  source: "cr:source",
  subField: "cr:subField",
  transform: "cr:transform",
  unArchive: "cr:unArchive",
  value: "cr:value",
};

const ENCODING: Record<VersionFile["format"], string> = {
  parquet: "application/x-parquet",
  csv: "text/csv",
  jsonl: "application/jsonlines",
};

const SPLIT_IRI = {
  train: "cr:TrainingSplit",
  validation: "cr:ValidationSplit",
  test: "cr:TestSplit",
} as const;

const byPath = (a: VersionFile, b: VersionFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function recordSetOf(file: VersionFile, description: VersionDescription): string {
  const name = file.recordSet ?? description.recordSets[0]?.name;
  if (name === undefined) throw new Error("a version needs at least one record set");
  return name;
}

/** Facts the documents share, so wording stays the same in Croissant, the card and the datasheet. */
export function preprocessingText(d: VersionDescription): string {
  return [
    `Only learners with valid consent at build time under agreement ${d.agreement.id} were kept.`,
    `Identifiers were replaced by pseudonyms of linkage domain ${d.pseudonymization.domain} (${d.pseudonymization.method}), so the same learner is one pseudonym across providers.`,
    `Statements were de-identified under profile ${d.deidentification.name} version ${d.deidentification.version}.`,
    d.label.field
      ? `Label: ${d.label.definition} (field ${d.label.recordSet}.${d.label.field}).`
      : `Label: ${d.label.definition}.`,
    `Cut-off: ${d.cutOff.at}; ${d.cutOff.antiLeakage}`,
    `Splits by ${d.splitPolicy.by}: ${d.splitPolicy.description} (seed ${String(d.seed)}).`,
    `Re-identification risk after treatment: k = ${d.risk.k}, average risk ${d.risk.averageRisk}, highest risk ${d.risk.highestRisk}.`,
    `Suppression: ${d.suppression.learners} learners and ${d.suppression.records} records; ${d.suppression.description}`,
  ].join(" ");
}

export function maintenanceText(d: VersionDescription): string {
  return (
    d.maintenance ??
    "A learner's withdrawal or the agreement's expiry produces a new version without that learner; versions that include them are marked superseded, their holders are notified, and deletion duties are tracked until met. Versions past the agreement's end are deleted with evidence."
  );
}

/** The license IRI: the description's, else the agreement itself (which governs every use). */
export function licenseOf(d: VersionDescription): string {
  if (!d.license) return d.agreement.id;
  return /^[a-z]+:/i.test(d.license) ? d.license : `https://spdx.org/licenses/${d.license}.html`;
}

export function buildCroissant(d: VersionDescription): JsonObject {
  const splitNames = new Set(d.splits.map((s) => s.name));
  for (const f of d.files) {
    const base = f.path.slice(f.path.lastIndexOf("/") + 1);
    if (f.split !== undefined && !splitNames.has(f.split))
      throw new Error(`file ${f.path}: unknown split ${f.split}`);
    if (f.split !== undefined && !base.startsWith(`${f.split}-`))
      throw new Error(`file ${f.path}: name must start with "${f.split}-"`);
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new Error(`file ${f.path}: sha256 must be 64 hex digits`);
  }
  const files = [...d.files].sort(byPath);
  const distribution: JsonObject[] = files.map((f) => ({
    "@type": "cr:FileObject",
    "@id": f.path,
    name: f.path,
    contentUrl: f.path,
    contentSize: `${f.bytes} B`,
    encodingFormat: ENCODING[f.format],
    sha256: f.sha256,
  }));

  // The source of each record set: its parquet files when there are, else the first format written.
  const sources = new Map<string, { id: string; kind: "fileObject" | "fileSet" }>();
  // Record sets whose files carry no split (aggregates) get no split field.
  const unsplit = new Set<string>();
  for (const rs of d.recordSets) {
    const own = files.filter((f) => recordSetOf(f, d) === rs.name);
    if (own.length > 0 && own.every((f) => f.split === undefined)) unsplit.add(rs.name);
    if (own.some((f) => f.split === undefined) && !unsplit.has(rs.name))
      throw new Error(`record set ${rs.name}: files with and without a split`);
    const formats = [...new Set(own.map((f) => f.format))].sort();
    for (const format of formats) {
      const paths = own.filter((f) => f.format === format).map((f) => f.path);
      distribution.push({
        "@type": "cr:FileSet",
        "@id": `${rs.name}-${format}-files`,
        name: `${rs.name}-${format}-files`,
        encodingFormat: ENCODING[format],
        includes: paths,
      });
    }
    const primary = formats.includes("parquet") ? "parquet" : formats[0];
    if (primary === undefined) continue;
    const paths = own.filter((f) => f.format === primary);
    sources.set(
      rs.name,
      paths.length === 1
        ? { id: paths[0]!.path, kind: "fileObject" }
        : { id: `${rs.name}-${primary}-files`, kind: "fileSet" },
    );
  }

  const splitsRecordSet: JsonObject = {
    "@type": "cr:RecordSet",
    "@id": "splits",
    name: "splits",
    description: "The splits of this version and what each is for.",
    dataType: "cr:Split",
    key: { "@id": "splits/name" },
    field: [
      { "@type": "cr:Field", "@id": "splits/name", name: "name", dataType: "sc:Text" },
      { "@type": "cr:Field", "@id": "splits/url", name: "url", dataType: "cr:Split" },
    ],
    data: d.splits.map((s) => ({ "splits/name": s.name, "splits/url": SPLIT_IRI[s.kind] })),
  };
  const splitRegex = `^(?:.*/)?(${d.splits.map((s) => escapeRegex(s.name)).join("|")})-[^/]*$`;

  const recordSets: JsonObject[] = d.recordSets.map((rs) => {
    const src = sources.get(rs.name);
    if (rs.fields.some((f) => f.name === "split"))
      throw new Error(`record set ${rs.name}: "split" is reserved for the split taken from the file path`);
    const fields: JsonObject[] = rs.fields.map((f) => {
      const isLabel = rs.name === d.label.recordSet && f.name === d.label.field;
      const field: JsonObject = {
        "@type": "cr:Field",
        "@id": `${rs.name}/${f.name}`,
        name: f.name,
        description: isLabel ? `${f.description} Label: ${d.label.definition}` : f.description,
        dataType: isLabel ? [f.dataType, "cr:Label"] : f.dataType,
      };
      if (src) field.source = { [src.kind]: { "@id": src.id }, extract: { column: f.name } };
      return field;
    });
    if (src && !unsplit.has(rs.name))
      fields.push({
        "@type": "cr:Field",
        "@id": `${rs.name}/split`,
        name: "split",
        description: "The split the record belongs to, taken from its file's name.",
        dataType: "sc:Text",
        source: {
          [src.kind]: { "@id": src.id },
          extract: { fileProperty: "fullpath" },
          transform: { regex: splitRegex },
        },
        references: { "@id": "splits/name" },
      });
    const out: JsonObject = {
      "@type": "cr:RecordSet",
      "@id": rs.name,
      name: rs.name,
      description: rs.description,
      field: fields,
    };
    if (rs.key?.length) out.key = rs.key.map((k) => ({ "@id": `${rs.name}/${k}` }));
    return out;
  });

  const policy: JsonObject = { ...d.agreement.policy };
  if (!("@context" in policy)) policy["@context"] = ODRL_CONTEXT;
  const providers = d.sources.map((s) => s.provider).join(", ");
  const statements = d.sources.reduce((n, s) => n + s.statements, 0);

  return {
    "@context": CROISSANT_CONTEXT,
    "@type": "sc:Dataset",
    name: d.name,
    ...(d.prettyName ? { alternateName: d.prettyName } : {}),
    description: d.description,
    conformsTo: [CROISSANT_SPEC, CROISSANT_RAI_SPEC],
    license: licenseOf(d),
    url: d.url,
    version: d.version,
    creator: d.creator.map((c) => ({
      "@type": "sc:Organization",
      name: c.name,
      ...(c.url ? { url: c.url } : {}),
    })),
    datePublished: d.created,
    dateCreated: d.created,
    keywords: [...(d.tags ?? [])],
    temporalCoverage: `${d.timeFrame.start}/${d.timeFrame.end}`,
    distribution,
    recordSet: [splitsRecordSet, ...recordSets],
    usageInfo: policy,
    "rai:dataCollection": `Learning records (xAPI statements) pooled from ${d.sources.length} providers (${providers}) under agreement ${d.agreement.id}, restricted to learners who consented for its purpose.`,
    "rai:dataCollectionType": ["Secondary Data analysis", "Software Collection"],
    "rai:dataCollectionRawData": d.sources
      .map((s) => `${s.provider}: ${s.statements} statements from ${s.learners} learners`)
      .join("; "),
    "rai:dataCollectionTimeframe": `${d.timeFrame.start}/${d.timeFrame.end}`,
    "rai:dataPreprocessingProtocol": preprocessingText(d),
    "rai:dataAnnotationProtocol": `Labels are computed from the records, not annotated by people: ${d.label.definition}`,
    "rai:dataBiases": d.biases.length ? d.biases : ["None recorded."],
    "rai:dataLimitations": [
      ...d.limitations,
      `Only consenting learners are included (${consentRate(d)} of those asked), which may differ from the whole population; ${statements} source statements in total.`,
    ],
    "rai:personalSensitiveInformation": `Pseudonymized learning records of natural persons, possibly minors. No direct identifiers; quasi-identifiers treated under profile ${d.deidentification.name} ${d.deidentification.version} to k >= ${d.risk.k}. Re-identification is forbidden by the agreement.`,
    "rai:dataUseCases": d.uses,
    "rai:dataReleaseMaintenancePlan": maintenanceText(d),
  };
}

export function consentRate(d: VersionDescription): string {
  const asked = d.consent.reduce((n, c) => n + c.asked, 0);
  const consented = d.consent.reduce((n, c) => n + c.consented, 0);
  return asked === 0 ? "n/a" : `${((100 * consented) / asked).toFixed(1)}%`;
}

// ---------------------------------------------------------------- checking

export interface CroissantProblem {
  /** JSONPath-like location, e.g. `$.recordSet[1].field[0].source`. */
  path: string;
  message: string;
}

/** Terms of the ODRL 2.2 JSON-LD context (the one the agreement's policy refers to). */
const ODRL_TERMS = [
  "uid",
  "type",
  "id",
  "Policy",
  "Set",
  "Offer",
  "Agreement",
  "Ticket",
  "Asset",
  "AssetCollection",
  "Party",
  "PartyCollection",
  "Permission",
  "Prohibition",
  "Duty",
  "Action",
  "Constraint",
  "LogicalConstraint",
  "permission",
  "prohibition",
  "obligation",
  "duty",
  "action",
  "target",
  "assigner",
  "assignee",
  "constraint",
  "refinement",
  "leftOperand",
  "operator",
  "rightOperand",
  "rightOperandReference",
  "dataType",
  "unit",
  "status",
  "consequence",
  "remedy",
  "profile",
  "inheritFrom",
  "conflict",
  "partOf",
  "source",
  "function",
  "relation",
  "failure",
  "includedIn",
  "implies",
  "and",
  "or",
  "xone",
  "andSequence",
  "hasPolicy",
  "output",
  "attributedParty",
  "compensatedParty",
  "trackingParty",
  "informedParty",
  "consentingTo",
  "consentedParty",
  "contractingParty",
  "payeeParty",
  "assigneeOf",
  "assignerOf",
  "policyUsage",
  "version",
];
const ODRL_PREFIXES = [
  "odrl",
  "rdf",
  "rdfs",
  "owl",
  "skos",
  "dct",
  "dc",
  "xsd",
  "vcard",
  "foaf",
  "schema",
  "cc",
];

/** schema.org properties we emit through `@vocab` (a bare key outside this list is likely a typo). */
const SCHEMA_TERMS = new Set([
  "name",
  "alternateName",
  "description",
  "license",
  "url",
  "version",
  "creator",
  "publisher",
  "datePublished",
  "dateCreated",
  "dateModified",
  "keywords",
  "temporalCoverage",
  "distribution",
  "contentUrl",
  "contentSize",
  "encodingFormat",
  "sha256",
  "usageInfo",
  "inLanguage",
  "sameAs",
  "sdLicense",
  "identifier",
  "termCode",
  "email",
]);
const KEYWORDS = new Set(["@context", "@type", "@id", "@value", "@language", "@list", "@set", "@graph"]);
/** Terms typed `@json` in the context: their values are literal JSON, not JSON-LD. */
const JSON_LITERAL_TERMS = new Set(["data", "examples"]);

interface Scope {
  terms: Set<string>;
  prefixes: Set<string>;
}

function extendScope(scope: Scope, context: unknown, path: string, problems: CroissantProblem[]): Scope {
  const next: Scope = { terms: new Set(scope.terms), prefixes: new Set(scope.prefixes) };
  for (const c of Array.isArray(context) ? context : [context]) {
    if (c === null) continue;
    if (typeof c === "string") {
      if (c === ODRL_CONTEXT || c === "https://www.w3.org/ns/odrl.jsonld") {
        for (const t of ODRL_TERMS) next.terms.add(t);
        for (const p of ODRL_PREFIXES) next.prefixes.add(p);
      } else problems.push({ path, message: `remote context ${c} is not known (nothing is fetched)` });
      continue;
    }
    if (typeof c !== "object") {
      problems.push({ path, message: "malformed @context" });
      continue;
    }
    for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
      if (k.startsWith("@")) continue;
      next.terms.add(k);
      // A term whose IRI ends in a gen-delim can serve as a prefix (JSON-LD 1.1, 4.4).
      if (typeof v === "string" && /[/#:]$/.test(v)) next.prefixes.add(k);
    }
  }
  return next;
}

function isAbsoluteIri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith("urn:");
}

function checkIriLike(value: string, scope: Scope): boolean {
  const colon = value.indexOf(":");
  if (colon <= 0 || isAbsoluteIri(value)) return true;
  return scope.prefixes.has(value.slice(0, colon));
}

function walk(node: unknown, scope: Scope, path: string, problems: CroissantProblem[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      walk(item, scope, `${path}[${i}]`, problems);
    });
    return;
  }
  if (!node || typeof node !== "object") return;
  const obj = node as Record<string, unknown>;
  const here =
    "@context" in obj ? extendScope(scope, obj["@context"], `${path}["@context"]`, problems) : scope;
  for (const [key, value] of Object.entries(obj)) {
    const at = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    if (key.startsWith("@")) {
      if (!KEYWORDS.has(key)) problems.push({ path: at, message: `unknown keyword ${key}` });
      if (key === "@type")
        for (const t of Array.isArray(value) ? value : [value])
          if (typeof t !== "string" || (!here.terms.has(t) && !checkIriLike(t, here)))
            problems.push({ path: at, message: `type ${String(t)} uses an undeclared prefix` });
      continue;
    }
    if (!here.terms.has(key) && !SCHEMA_TERMS.has(key)) {
      const colon = key.indexOf(":");
      if (colon <= 0) problems.push({ path: at, message: `"${key}" is not a term of the context` });
      else if (!isAbsoluteIri(key) && !here.prefixes.has(key.slice(0, colon)))
        problems.push({ path: at, message: `prefix "${key.slice(0, colon)}" of "${key}" is not declared` });
    }
    if (key === "dataType")
      for (const t of Array.isArray(value) ? value : [value])
        if (typeof t === "string" && !checkIriLike(t, here))
          problems.push({ path: at, message: `data type ${t} uses an undeclared prefix` });
    if (JSON_LITERAL_TERMS.has(key)) continue;
    walk(value, here, at, problems);
  }
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const typesOf = (o: Record<string, unknown>): string[] => asArray(o["@type"]).map(String);
const refId = (v: unknown): string | undefined =>
  v && typeof v === "object" && typeof (v as { "@id"?: unknown })["@id"] === "string"
    ? (v as { "@id": string })["@id"]
    : undefined;

const RAI_REQUIRED = [
  "rai:dataCollection",
  "rai:dataCollectionTimeframe",
  "rai:dataPreprocessingProtocol",
  "rai:dataBiases",
  "rai:dataLimitations",
  "rai:personalSensitiveInformation",
  "rai:dataReleaseMaintenancePlan",
];

/**
 * Checks a Croissant document: context terms everywhere, then the properties Croissant 1.1 requires
 * (with `distribution`), then what a Learnpool version must also carry (files' sha256, a label when
 * records are split, the splits, the RAI fields, usageInfo). Returns every problem found, with where.
 */
export function checkCroissant(doc: unknown): CroissantProblem[] {
  const problems: CroissantProblem[] = [];
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    return [{ path: "$", message: "not a JSON object" }];
  const d = doc as Record<string, unknown>;
  if (!("@context" in d)) problems.push({ path: "$", message: "missing @context" });
  walk(d, { terms: new Set(), prefixes: new Set() }, "$", problems);

  const need = (o: Record<string, unknown>, keys: string[], path: string) => {
    for (const k of keys) {
      const v = o[k];
      if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0))
        problems.push({ path, message: `missing required property ${k}` });
    }
  };
  if (!typesOf(d).some((t) => t === "sc:Dataset" || t === "Dataset" || t === "http://schema.org/Dataset"))
    problems.push({ path: "$", message: "@type must be sc:Dataset" });
  need(
    d,
    ["name", "description", "license", "url", "creator", "datePublished", "conformsTo", "distribution"],
    "$",
  );
  if (d.conformsTo !== undefined && !asArray(d.conformsTo).includes(CROISSANT_SPEC))
    problems.push({ path: "$.conformsTo", message: `must include ${CROISSANT_SPEC}` });
  need(d, ["version", "recordSet", "usageInfo", ...RAI_REQUIRED], "$");

  const ids = new Map<string, string>();
  const claim = (id: unknown, path: string) => {
    if (typeof id !== "string" || id === "") problems.push({ path, message: "missing @id" });
    else if (ids.has(id)) problems.push({ path, message: `@id ${id} already used at ${ids.get(id)}` });
    else ids.set(id, path);
  };
  const resources = new Map<string, "fileObject" | "fileSet">();
  asArray(d.distribution).forEach((r, i) => {
    const path = `$.distribution[${i}]`;
    if (!r || typeof r !== "object") {
      problems.push({ path, message: "not an object" });
      return;
    }
    const o = r as Record<string, unknown>;
    claim(o["@id"], path);
    const types = typesOf(o);
    if (types.includes("cr:FileObject")) {
      need(o, ["name", "contentUrl", "encodingFormat", "sha256"], path);
      if (o.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(String(o.sha256)))
        problems.push({ path: `${path}.sha256`, message: "sha256 must be 64 lowercase hex digits" });
      if (typeof o["@id"] === "string") resources.set(o["@id"], "fileObject");
    } else if (types.includes("cr:FileSet")) {
      need(o, ["encodingFormat", "includes"], path);
      if (typeof o["@id"] === "string") resources.set(o["@id"], "fileSet");
    } else problems.push({ path, message: "distribution items must be cr:FileObject or cr:FileSet" });
  });

  const fieldIds = new Set<string>();
  const references: { path: string; id: string }[] = [];
  let labels = 0;
  let splitSets = 0;
  const checkField = (f: unknown, path: string, inline: boolean) => {
    if (!f || typeof f !== "object") {
      problems.push({ path, message: "not an object" });
      return;
    }
    const o = f as Record<string, unknown>;
    claim(o["@id"], path);
    if (typeof o["@id"] === "string") fieldIds.add(o["@id"]);
    if (!typesOf(o).includes("cr:Field")) problems.push({ path, message: "@type must be cr:Field" });
    need(o, ["dataType"], path);
    if (asArray(o.dataType).includes("cr:Label")) labels++;
    const ref = refId(o.references);
    if (o.references !== undefined && !ref)
      problems.push({ path: `${path}.references`, message: "must be {@id}" });
    if (ref) references.push({ path: `${path}.references`, id: ref });
    if (o.source === undefined) {
      if (!inline && o.value === undefined && o.subField === undefined)
        problems.push({ path, message: "a field needs a source (or the record set inline data)" });
    } else {
      const s = o.source as Record<string, unknown>;
      const from = refId(s.fileObject) ?? refId(s.fileSet);
      const kind = refId(s.fileObject) ? "fileObject" : "fileSet";
      if (!from) {
        const direct = refId(s);
        if (direct) references.push({ path: `${path}.source`, id: direct });
        else
          problems.push({ path: `${path}.source`, message: "source names no fileObject, fileSet or field" });
      } else if (resources.get(from) !== kind)
        problems.push({ path: `${path}.source`, message: `${kind} ${from} is not in distribution` });
      else {
        const extract = s.extract as Record<string, unknown> | undefined;
        if (
          !extract ||
          (extract.column === undefined &&
            extract.fileProperty === undefined &&
            extract.jsonPath === undefined)
        )
          problems.push({
            path: `${path}.source`,
            message: "missing extract (column, fileProperty or jsonPath)",
          });
      }
    }
    asArray(o.subField).forEach((sf, i) => {
      checkField(sf, `${path}.subField[${i}]`, inline);
    });
  };
  asArray(d.recordSet).forEach((rs, i) => {
    const path = `$.recordSet[${i}]`;
    if (!rs || typeof rs !== "object") {
      problems.push({ path, message: "not an object" });
      return;
    }
    const o = rs as Record<string, unknown>;
    claim(o["@id"], path);
    if (!typesOf(o).includes("cr:RecordSet")) problems.push({ path, message: "@type must be cr:RecordSet" });
    need(o, ["field"], path);
    if (asArray(o.dataType).includes("cr:Split")) splitSets++;
    asArray(o.field).forEach((f, j) => {
      checkField(f, `${path}.field[${j}]`, o.data !== undefined);
    });
    asArray(o.key).forEach((k, j) => {
      const id = refId(k);
      if (!id) problems.push({ path: `${path}.key[${j}]`, message: "key must be {@id}" });
      else references.push({ path: `${path}.key[${j}]`, id });
    });
  });
  for (const r of references)
    if (!fieldIds.has(r.id))
      problems.push({ path: r.path, message: `refers to field ${r.id}, which is not defined` });
  if (d.recordSet !== undefined) {
    // A version of aggregates only (no record split into train and test) has nothing to label.
    const splitRecords = references.some((r) => r.id === "splits/name" && r.path.endsWith(".references"));
    if (labels === 0 && splitRecords)
      problems.push({ path: "$.recordSet", message: "no field has data type cr:Label" });
    if (splitSets === 0)
      problems.push({ path: "$.recordSet", message: "no record set has data type cr:Split" });
  }
  return problems;
}
