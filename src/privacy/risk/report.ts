/**
 * A risk report over one table, or two (before and after anonymization): the measures of `sample.ts`
 * and `population.ts` computed from the table's rows on its quasi-identifiers, as a JSON-ready object
 * (every number and the histogram data) and as terminal text with charts. Pure: tables come in parsed.
 */
import { type ChartData, chartText, riskCharts } from "./chart.js";
import { equivalenceClasses, populationClassSizes, RiskInputError } from "./classes.js";
import type { RiskBucket, SizeBucket } from "./distribution.js";
import type { SolverConfiguration } from "./newton.js";
import type { PopulationUniqueness } from "./population.js";
import { type RiskProfile, type RiskSummary, riskProfile } from "./sample.js";

export interface Table {
  header: readonly string[];
  rows: readonly (readonly string[])[];
}

export interface TableRiskInput {
  table: Table;
  /** Quasi-identifier column names. */
  qi: readonly string[];
  threshold?: number;
  /** Sampling fraction for the population-uniqueness models. */
  populationFraction?: number;
  /** The population the table was sampled from, for journalist and marketer risk. */
  population?: Table;
  /** Rows whose quasi-identifiers all hold this value are suppressed records (default "*"). */
  suppressedValue?: string;
  solver?: SolverConfiguration;
}

export interface TableRisk {
  rows: number;
  suppressed: number;
  profile: RiskProfile;
}

function columnsOf(table: Table, qi: readonly string[], what: string): number[] {
  if (qi.length === 0) throw new RiskInputError("at least one quasi-identifier is needed");
  return qi.map((name) => {
    const index = table.header.indexOf(name);
    if (index < 0) {
      throw new RiskInputError(`${what} has no column "${name}" (its columns: ${table.header.join(", ")})`);
    }
    return index;
  });
}

/** The risk profile of a table on its quasi-identifiers. */
export function tableRisk(input: TableRiskInput): TableRisk {
  const qi = columnsOf(input.table, input.qi, "the table");
  const classOptions = { suppressedValue: input.suppressedValue ?? "*" };
  let sizes: Int32Array;
  let populationSizes: Int32Array | undefined;
  let suppressed: number;
  if (input.population) {
    const populationQi = columnsOf(input.population, input.qi, "the population table");
    const joined = populationClassSizes(
      input.table.rows,
      qi,
      input.population.rows,
      populationQi,
      classOptions,
    );
    sizes = joined.sample.sizes;
    populationSizes = joined.populationSizes;
    suppressed = joined.sample.suppressed;
  } else {
    const classes = equivalenceClasses(input.table.rows, qi, classOptions);
    sizes = classes.sizes;
    suppressed = classes.suppressed;
  }
  const rows = input.table.rows.length;
  const profile = riskProfile(sizes, {
    threshold: input.threshold,
    populationClassSizes: populationSizes,
    population:
      input.populationFraction === undefined
        ? undefined
        : { samplingFraction: input.populationFraction, sampleSize: rows },
    solver: input.solver,
  });
  return { rows, suppressed, profile };
}

export interface TableRiskReport {
  name: string;
  rows: number;
  suppressed: number;
  records: number;
  classes: number;
  averageClassSize: number;
  threshold: number;
  prosecutor: RiskSummary;
  journalist: RiskSummary;
  marketer: { averageRisk: number };
  sampleUniqueness: number;
  populationUniqueness?: PopulationUniqueness;
  classSizeFrequencies: { size: number; count: number }[];
  sizeDistribution: SizeBucket[];
  riskDistribution: RiskBucket[];
}

export interface RiskReport {
  format: "learnpool-risk/1";
  quasiIdentifiers: string[];
  threshold: number;
  populationFraction?: number;
  tables: TableRiskReport[];
  charts: ChartData[];
}

export function riskReport(
  tables: { name: string; risk: TableRisk }[],
  settings: { qi: readonly string[]; threshold: number; populationFraction?: number },
): RiskReport {
  return {
    format: "learnpool-risk/1",
    quasiIdentifiers: [...settings.qi],
    threshold: settings.threshold,
    ...(settings.populationFraction === undefined ? {} : { populationFraction: settings.populationFraction }),
    tables: tables.map(({ name, risk: { rows, suppressed, profile } }) => ({
      name,
      rows,
      suppressed,
      records: profile.records,
      classes: profile.classes,
      averageClassSize: profile.averageClassSize,
      threshold: profile.threshold,
      prosecutor: profile.prosecutor,
      journalist: profile.journalist,
      marketer: profile.marketer,
      sampleUniqueness: profile.sampleUniqueness,
      ...(profile.populationUniqueness ? { populationUniqueness: profile.populationUniqueness } : {}),
      classSizeFrequencies: Array.from(profile.frequencies.sizes, (size, i) => ({
        size,
        count: profile.frequencies.counts[i]!,
      })),
      sizeDistribution: profile.sizeDistribution,
      riskDistribution: profile.riskDistribution,
    })),
    charts: riskCharts(tables.map(({ name, risk }) => ({ name, profile: risk.profile }))),
  };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** The numbers, one block per table, then the charts. */
export function riskReportText(report: RiskReport): string {
  const out: string[] = [];
  for (const t of report.tables) {
    out.push(`${t.name}: ${t.rows} rows, ${t.suppressed} suppressed, ${t.classes} equivalence classes`);
    out.push(`  prosecutor risk   average ${t.prosecutor.averageRisk}  highest ${t.prosecutor.highestRisk}`);
    out.push(`  records at risk   ${pct(t.prosecutor.recordsAtRisk)} (risk above ${t.threshold})`);
    out.push(
      `  journalist risk   average ${t.journalist.averageRisk}  highest ${t.journalist.highestRisk}  at risk ${pct(t.journalist.recordsAtRisk)}`,
    );
    out.push(`  marketer risk     ${t.marketer.averageRisk}`);
    out.push(`  sample uniqueness ${pct(t.sampleUniqueness)}`);
    const pu = t.populationUniqueness;
    if (pu) {
      const model = (m: "pitman" | "zayatz" | "snb") =>
        pu.available[m] ? pct(pu.fractions[m]) : "no estimate";
      out.push(
        `  population uniqueness (fraction ${pu.samplingFraction.toPrecision(4)}, population ${pu.populationSize}): ` +
          `${pct(pu.fractions.dankar)} by Dankar's rule (${pu.dankarModel})`,
      );
      out.push(`    Pitman ${model("pitman")}  Zayatz ${model("zayatz")}  SNB ${model("snb")}`);
    }
    out.push("");
  }
  for (const chart of report.charts) out.push(chartText(chart), "");
  return out.join("\n").trimEnd();
}
