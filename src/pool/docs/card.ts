/**
 * The Hugging Face dataset card (`README.md`: YAML front matter the Hub and `datasets` read, then a
 * readable body) and the datasheet (`DATASHEET.md`, the sections of Gebru et al., "Datasheets for
 * Datasets"). Both are pure text from the version's description; keys are sorted, no clock is read.
 */
import { stringify } from "yaml";
import { consentRate, licenseOf, maintenanceText, preprocessingText } from "./croissant.js";
import type { VersionDescription, VersionFile } from "./description.js";
import { stableJson } from "./json.js";
import { lineageOrder } from "./lineage.js";

const cell = (s: string | number) => String(s).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const table = (head: string[], rows: (string | number)[][]) =>
  [
    `| ${head.map(cell).join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");

/** The Hub's size buckets. */
export function sizeCategory(n: number): string {
  const bounds: [number, string][] = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
    [1e9, "100M<n<1B"],
    [1e10, "1B<n<10B"],
  ];
  for (const [bound, label] of bounds) if (n < bound) return label;
  return "n>1T";
}

/** The primary files of a record set in a split (Parquet when there are), tree order; split undefined: those of no split. */
function primaryFiles(d: VersionDescription, recordSet: string, split: string | undefined): VersionFile[] {
  return lineageOrder(d)
    .filter((x) => x.covered && x.recordSet === recordSet && x.file.split === split)
    .map((x) => x.file);
}

/** A record set's rows per split, its files of no split as split "(all)" (aggregates). */
function rowsPerSplit(
  d: VersionDescription,
  recordSet: string,
): { split: string; kind: string; files: number; rows: number }[] {
  const out = d.splits.map((s) => {
    const files = primaryFiles(d, recordSet, s.name);
    return { split: s.name, kind: s.kind, files: files.length, rows: files.reduce((n, f) => n + f.rows, 0) };
  });
  const unsplit = primaryFiles(d, recordSet, undefined);
  if (unsplit.length > 0)
    return [
      {
        split: "(all)",
        kind: "aggregate",
        files: unsplit.length,
        rows: unsplit.reduce((n, f) => n + f.rows, 0),
      },
    ];
  return out.filter((r) => r.files > 0);
}

/** "dropout: …" with its field, or the definition alone when no field carries a label. */
function labelText(d: VersionDescription): string {
  return d.label.field
    ? `${d.label.definition} (field \`${d.label.recordSet}.${d.label.field}\`)`
    : d.label.definition;
}

/** `dir/{split}-*.ext` when every file matches it (the Hub's layout), else the list of paths. */
function dataFilesPattern(files: VersionFile[], split: string): string | string[] {
  const first = files[0];
  if (!first) return [];
  const dir = first.path.includes("/") ? first.path.slice(0, first.path.lastIndexOf("/") + 1) : "";
  const ext = first.path.slice(first.path.lastIndexOf("."));
  const glob = `${dir}${split}-*${ext}`;
  const re = new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${split}-[^/]*\\${ext}$`);
  return files.every((f) => re.test(f.path)) ? glob : files.map((f) => f.path);
}

function hubLicense(d: VersionDescription): Record<string, string> {
  if (d.license && /^[A-Za-z0-9.+-]+$/.test(d.license)) return { license: d.license.toLowerCase() };
  return { license: "other", license_name: "learnpool-agreement", license_link: licenseOf(d) };
}

export function frontMatter(d: VersionDescription): Record<string, unknown> {
  // One config per record set (the Hub's `configs`); a record set of no split (aggregates) is one
  // path, which `datasets` loads as its single split.
  const configs = d.recordSets.map((rs, i) => {
    const unsplit = primaryFiles(d, rs.name, undefined).map((f) => f.path);
    return {
      config_name: d.recordSets.length === 1 ? "default" : rs.name,
      ...(i === 0 && d.recordSets.length > 1 ? { default: true } : {}),
      data_files:
        unsplit.length > 0
          ? unsplit.length === 1
            ? unsplit[0]
            : unsplit
          : d.splits
              .map((s) => ({
                split: s.name,
                path: dataFilesPattern(primaryFiles(d, rs.name, s.name), s.name),
              }))
              .filter((x) => x.path.length > 0),
    };
  });
  const rowsOf = (name: string) => rowsPerSplit(d, name).reduce((n, r) => n + r.rows, 0);
  const labelled = d.recordSets.some((rs) => rs.name === d.label.recordSet);
  const labelRows = labelled
    ? rowsOf(d.label.recordSet)
    : d.recordSets.reduce((n, rs) => n + rowsOf(rs.name), 0);
  return {
    ...hubLicense(d),
    pretty_name: d.prettyName ?? d.name,
    task_categories: d.taskCategories ?? ["tabular-classification"],
    size_categories: [sizeCategory(labelRows)],
    tags: [
      ...new Set(["learnpool", "xapi", "learning-analytics", "pseudonymized", ...(d.tags ?? [])]),
    ].sort(),
    configs,
  };
}

function loadingSnippet(d: VersionDescription): string {
  const python: string[] = [];
  const sql: string[] = [];
  for (const rs of d.recordSets) {
    const unsplit = primaryFiles(d, rs.name, undefined).map((f) => f.path);
    const variable = d.recordSets.length === 1 ? "ds" : rs.name;
    const format =
      (unsplit.length ? primaryFiles(d, rs.name, undefined) : primaryFiles(d, rs.name, d.splits[0]?.name))[0]
        ?.format ?? "parquet";
    const builder = format === "jsonl" ? "json" : format;
    if (unsplit.length > 0) {
      python.push(
        `${variable} = load_dataset("${builder}", data_dir=".", data_files=${JSON.stringify(unsplit.length === 1 ? unsplit[0] : unsplit)})`,
      );
      if (format === "parquet") sql.push(`SELECT * FROM read_parquet('${unsplit[0]}');`);
      continue;
    }
    python.push(
      `${variable} = load_dataset("${builder}", data_dir=".", data_files={${d.splits
        .filter((s) => primaryFiles(d, rs.name, s.name).length > 0)
        .map(
          (s) => `"${s.name}": ${JSON.stringify(dataFilesPattern(primaryFiles(d, rs.name, s.name), s.name))}`,
        )
        .join(", ")}})`,
    );
    const split = d.splits[0]?.name ?? "train";
    const pattern = dataFilesPattern(primaryFiles(d, rs.name, split), split);
    const glob = typeof pattern === "string" ? pattern : (pattern[0] ?? "");
    if (format === "parquet" && glob) sql.push(`SELECT * FROM read_parquet('${glob}');`);
  }
  return [
    "```python",
    "from datasets import load_dataset",
    ...python,
    "```",
    "",
    "```sql",
    ...sql.map((q, i) => (i === 0 ? `${q}  -- DuckDB, Spark or Trino read the shards unchanged` : q)),
    "```",
  ].join("\n");
}

/** `README.md`: the Hub's front matter and a short, readable card pointing to the datasheet. */
export function datasetCard(d: VersionDescription): string {
  const fm = stringify(frontMatter(d), { sortMapEntries: true, lineWidth: 0 });
  const splits = d.recordSets.flatMap((rs) =>
    rowsPerSplit(d, rs.name).map((r) => [rs.name, r.split, r.kind, r.files, r.rows]),
  );
  const fields = d.recordSets.flatMap((rs) =>
    rs.fields.map((f) => [
      rs.name,
      f.name + (rs.name === d.label.recordSet && f.name === d.label.field ? " (label)" : ""),
      f.dataType.replace(/^sc:/, ""),
      f.description,
    ]),
  );
  return [
    "---",
    fm.trimEnd(),
    "---",
    "",
    `# ${d.prettyName ?? d.name}`,
    "",
    d.description,
    "",
    `Version ${d.version}, built ${d.created} under agreement \`${d.agreement.id}\` (seed ${String(d.seed)}).`,
    "",
    "## Loading",
    "",
    loadingSnippet(d),
    "",
    "## Splits",
    "",
    `Split by ${d.splitPolicy.by}: ${d.splitPolicy.description}`,
    "",
    table(["record set", "split", "kind", "files", "rows"], splits),
    "",
    "## Fields",
    "",
    table(["record set", "field", "type", "description"], fields),
    "",
    "## Label",
    "",
    `${labelText(d)}. Cut-off: ${d.cutOff.at}. ${d.cutOff.antiLeakage}`,
    "",
    "## Conditions of use",
    "",
    `This dataset holds pseudonymized learning records of learners who consented (${consentRate(d)} of those asked). ` +
      `Its use is governed by agreement \`${d.agreement.id}\`, whose ODRL policy is in \`croissant.json\` (\`usageInfo\`). ` +
      "Any attempt to re-identify a learner is forbidden.",
    "",
    "See `DATASHEET.md` for the full datasheet, `croissant.json` for machine-readable metadata and `lineage.json` for the lineage manifest.",
    "",
  ].join("\n");
}

/** `DATASHEET.md`: Gebru et al.'s sections, answered from the build. */
export function datasheet(d: VersionDescription): string {
  const totals = d.consent.reduce(
    (t, c) => ({
      asked: t.asked + c.asked,
      consented: t.consented + c.consented,
      refused: t.refused + c.refused,
      withdrew: t.withdrew + c.withdrew,
    }),
    { asked: 0, consented: 0, refused: 0, withdrew: 0 },
  );
  const consentRows = [...d.consent]
    .sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0))
    .map((c) => [c.provider, c.asked, c.consented, c.refused, c.withdrew]);
  const sourceRows = [...d.sources]
    .sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0))
    .map((s) => [s.provider, s.statements, s.learners]);
  const fileRows = lineageOrder(d).map(({ file, recordSet }) => [
    file.path,
    recordSet,
    file.split ?? "(all)",
    file.format,
    file.rows,
    file.bytes,
    `\`${file.sha256}\``,
  ]);
  const bullet = (items: string[], none: string) =>
    items.length ? items.map((b) => `- ${b}`).join("\n") : `- ${none}`;
  return [
    `# Datasheet: ${d.prettyName ?? d.name} ${d.version}`,
    "",
    `Built ${d.created} under agreement \`${d.agreement.id}\`.`,
    "",
    "## Motivation",
    "",
    d.description,
    "",
    "Purposes the agreement permits:",
    "",
    bullet(d.uses, "none stated"),
    "",
    "## Composition",
    "",
    d.recordSets.map((rs) => `- \`${rs.name}\`: ${rs.description} (${rs.fields.length} fields)`).join("\n"),
    "",
    ...d.recordSets.flatMap((rs) => [
      `### \`${rs.name}\``,
      "",
      rs.description,
      ...(rs.key?.length ? ["", `Key: ${rs.key.map((k) => `\`${k}\``).join(", ")}.`] : []),
      "",
      table(
        ["split", "kind", "files", "rows"],
        rowsPerSplit(d, rs.name).map((r) => [r.split, r.kind, r.files, r.rows]),
      ),
      "",
      table(
        ["field", "type", "description"],
        rs.fields.map((f) => [
          f.name + (rs.name === d.label.recordSet && f.name === d.label.field ? " (label)" : ""),
          f.dataType.replace(/^sc:/, ""),
          f.description,
        ]),
      ),
      "",
    ]),
    "### Files",
    "",
    table(["file", "record set", "split", "format", "rows", "bytes", "sha256"], fileRows),
    "",
    "Each record is a pseudonymized learner (or learner-period); no direct identifier is present.",
    "",
    "## Collection process",
    "",
    `Learning records (xAPI statements) from ${d.timeFrame.start} to ${d.timeFrame.end}, taken at each provider under the agreement's scope, for learners with valid consent at build time.`,
    "",
    table(["provider", "statements", "learners"], sourceRows),
    "",
    "### Consent coverage",
    "",
    table(
      ["provider", "asked", "consented", "refused", "withdrew"],
      [...consentRows, ["**total**", totals.asked, totals.consented, totals.refused, totals.withdrew]],
    ),
    "",
    `Consent receipts relied on: ${d.consentReceipts.length} (ids in \`lineage.json\`).`,
    "",
    "## Preprocessing, cleaning and labeling",
    "",
    `- **Label**: ${labelText(d)}.`,
    `- **Cut-off and anti-leakage**: ${d.cutOff.at}. ${d.cutOff.antiLeakage}`,
    `- **Split policy**: by ${d.splitPolicy.by}. ${d.splitPolicy.description} Seed \`${String(d.seed)}\`.`,
    `- **Pseudonymization**: linkage domain \`${d.pseudonymization.domain}\`, ${d.pseudonymization.method}; the same learner has the same pseudonym at every provider and nobody can reverse it.`,
    `- **De-identification**: profile \`${d.deidentification.name}\` version \`${d.deidentification.version}\`.`,
    `- **Suppression**: ${d.suppression.learners} learners and ${d.suppression.records} records suppressed. ${d.suppression.description}`,
    `- **Re-identification risk** (after treatment): k = ${d.risk.k}, average risk ${d.risk.averageRisk}, highest risk ${d.risk.highestRisk}, ${d.risk.suppressed} suppressed.`,
    "",
    "## Uses",
    "",
    bullet(d.uses, "none stated"),
    "",
    "### Known biases",
    "",
    bullet(d.biases, "none recorded"),
    "",
    "### Limitations",
    "",
    bullet(
      [...d.limitations, `Only consenting learners are included (${consentRate(d)} of those asked).`],
      "none recorded",
    ),
    "",
    "## Distribution",
    "",
    `Governed by agreement \`${d.agreement.id}\`; its ODRL policy is carried as \`usageInfo\` in \`croissant.json\`. ` +
      "Training happens inside the environment; downloads happen only where the agreement permits, to the consumer it names, with the decision in the audit trail.",
    "",
    "```json",
    stableJson(d.agreement.policy).trimEnd(),
    "```",
    "",
    "## Maintenance",
    "",
    maintenanceText(d),
    "",
    `Preprocessing summary: ${preprocessingText(d)}`,
    "",
  ].join("\n");
}
