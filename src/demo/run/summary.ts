/**
 * The demonstration's figures, and their rendering for a terminal. Figures only: no pseudonym, no
 * identifier, no secret ever enters a summary (it is kept in `demo.json` and printed).
 */

export interface ProviderFigures {
  provider: string;
  name: string;
  format: string;
  /** Native records in its files (events, rows, statements). */
  records: number;
  /** Statements stored in its LRS store, and records the converter rejected. */
  statements: number;
  rejected: number;
  /** Learners on its roster. */
  learners: number;
  /** Statements of consenting learners that entered the dataset version. */
  kept: number;
}

export interface DemoSummary {
  learners: number;
  seed: number;
  participants: { id: string; role: string; title: string }[];
  providers: ProviderFigures[];
  agreement: { id: string; state: string; valid: boolean; signatures: number; offers: number };
  consent: {
    asked: number;
    given: number;
    refused: number;
    withdrawn: number;
    /** Minors under the age of digital consent whose guardian consented with them. */
    jointWithGuardian: number;
    /** Records of withdrawals the notifier keeps for the consumers (one per withdrawal). */
    withdrawalsRecorded: number;
  };
  linkage: {
    /** Learners of the version found at two providers or more (equal OPRF pseudonyms). */
    linked: number;
    /** The version's learners whom the ground truth holds at two providers or more naming them alike. */
    expected: number;
    /** Linked learners whose providers are exactly those the truth names them at. */
    agreeing: number;
    byPair: Record<string, number>;
  };
  dataset: {
    id: string;
    name: string;
    version: string;
    dir: string;
    merkleRoot: string;
    records: number;
    learners: number;
    labelled: number;
    positive: number;
    splits: Record<string, number>;
    verified: boolean;
  };
  risk: {
    quasiIdentifiers: string[];
    before: { k: number; averageRisk: number; learners: number };
    after: { k: number; averageRisk: number; learners: number };
    suppressed: number;
    passed: boolean;
  };
  training: {
    job: string;
    state: string;
    auc: number | null;
    testLearners: number | null;
    release: string;
    released: string[];
  };
  coldStart: {
    model: string;
    rows: {
      provider: string;
      ownTrain: number;
      test: number;
      aucOwn: number;
      aucPooled: number;
      gain: number;
      /** The gain's 95 % paired-bootstrap interval over the provider's test learners. */
      gainInterval: [number, number] | null;
    }[];
    skipped: { provider: string; reason: string }[];
  };
  /** Seconds per step, and the build steps' total (everything after generating the files). */
  timings: Record<string, number>;
}

const pct = (part: number, whole: number) => (whole === 0 ? "0 %" : `${((100 * part) / whole).toFixed(1)} %`);
const num = (n: number) => n.toLocaleString("en-US");
const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(3)}`;
const auc = (n: number | null) => (n === null ? "n/a" : n.toFixed(3));

/** The summary as lines for a terminal. */
export function summaryLines(s: DemoSummary): string[] {
  const lines: string[] = [];
  lines.push(`Demonstration data space: ${num(s.learners)} learners (seed ${s.seed})`);
  lines.push("", "Records per provider (native records → xAPI statements stored → kept in the dataset):");
  for (const p of s.providers)
    lines.push(
      `  ${p.name.padEnd(48)} ${p.format.padEnd(6)} ${num(p.records).padStart(7)} → ${num(p.statements).padStart(7)} (${p.rejected} rejected) → ${num(p.kept).padStart(7)}   ${num(p.learners)} learners`,
    );
  const c = s.consent;
  lines.push(
    "",
    `Agreement ${s.agreement.id}: ${s.agreement.state}${s.agreement.valid ? ", valid" : ""}, ${s.agreement.signatures} signatures, from ${s.agreement.offers} catalog offers`,
    `Consent: ${num(c.asked)} learners asked (as their providers name them); given ${num(c.given)} (${pct(c.given, c.asked)}), refused ${num(c.refused)} (${pct(c.refused, c.asked)}), withdrawn later ${num(c.withdrawn)} (${pct(c.withdrawn, c.asked)}); ${num(c.jointWithGuardian)} minors jointly with a guardian; ${num(c.withdrawalsRecorded)} withdrawals recorded for the consumer`,
    `Linkage (OPRF pseudonyms): ${num(s.linkage.linked)} learners linked across providers (ground truth: ${num(s.linkage.expected)}, ${num(s.linkage.agreeing)} exactly as in the truth)${
      Object.keys(s.linkage.byPair).length > 0
        ? `: ${Object.entries(s.linkage.byPair)
            .map(([pair, n]) => `${pair} ${n}`)
            .join(", ")}`
        : ""
    }`,
  );
  const d = s.dataset;
  lines.push(
    "",
    `Dataset ${d.name} ${d.version} (${d.id}): ${num(d.learners)} learners, ${num(d.records)} records, ${num(d.labelled)} labelled (${num(d.positive)} dropouts), splits ${Object.entries(
      d.splits,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(" / ")}`,
    `  Merkle root ${d.merkleRoot}   lineage ${d.verified ? "verified" : "NOT verified"}   ${d.dir}`,
  );
  const r = s.risk;
  lines.push(
    `Risk (${r.quasiIdentifiers.length > 0 ? r.quasiIdentifiers.join(", ") : "no declared attribute"}): before k=${r.before.k}, average risk ${r.before.averageRisk.toFixed(4)}; after k=${r.after.k}, average risk ${r.after.averageRisk.toFixed(4)}; ${r.suppressed} suppressed; ${r.passed ? "passed" : "refused"}`,
  );
  const t = s.training;
  lines.push(
    "",
    `Training job ${t.job}: ${t.state}, test AUC ${auc(t.auc)}${t.testLearners !== null ? ` on ${t.testLearners} learners` : ""}; release ${t.release}${t.released.length > 0 ? ` (${t.released.join(", ")})` : ""}`,
    `Cold start (${s.coldStart.model}), AUC own data → pooled:`,
  );
  for (const row of s.coldStart.rows)
    lines.push(
      `  ${row.provider.padEnd(12)} ${auc(row.aucOwn)} → ${auc(row.aucPooled)} (${signed(row.gain)}${row.gainInterval ? `, 95 % interval ${signed(row.gainInterval[0])} to ${signed(row.gainInterval[1])}` : ""}), ${row.ownTrain} own train learners, ${row.test} test`,
    );
  for (const skip of s.coldStart.skipped)
    lines.push(`  ${skip.provider.padEnd(12)} not studied: ${skip.reason}`);
  lines.push(
    "",
    `Timings (s): ${Object.entries(s.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(", ")}`,
  );
  return lines;
}
