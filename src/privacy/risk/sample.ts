/**
 * Re-identification risk measured on the sample itself, with ARX's definitions
 * (`RiskModelSampleSummary`, after El Emam's "Guide to the De-Identification of Personal Health
 * Information"), from nothing but the equivalence-class sizes:
 *
 * - prosecutor (the attacker knows the person is in the data): a record's risk is 1/|its class|;
 *   records at risk = share of records whose risk exceeds the threshold, highest = 1/smallest class,
 *   average (success rate) = classes / records.
 * - journalist (the attacker links from a wider population): the same with each class's size in the
 *   population; average = max(classes / Σ population sizes, Σ (sample size / population size) / records).
 *   Without a population table it equals the prosecutor risk, as in ARX.
 * - marketer (re-identify as many as possible): expected share re-identified = Σ (sample size / population
 *   size) / records, which is classes / records without a population table.
 * - sample uniqueness: share of records alone in their class.
 *
 * Pure; usable from the anonymization engine with class sizes it already holds.
 */
import { type ClassSizeFrequencies, classSizeFrequencies, RiskInputError } from "./classes.js";
import {
  type RiskDistribution,
  riskDistribution,
  type SizeDistribution,
  sizeDistribution,
} from "./distribution.js";
import type { SolverConfiguration } from "./newton.js";
import { type PopulationModel, type PopulationUniqueness, populationUniqueness } from "./population.js";

export interface RiskSummary {
  /** Share of records whose risk is above the threshold (ARX's rA). */
  recordsAtRisk: number;
  /** The highest risk of any record (rB). */
  highestRisk: number;
  /** Average risk, the share of records re-identified on average (rC, "success rate"). */
  averageRisk: number;
}

export interface RiskProfileOptions {
  /** A record is at risk when its risk is strictly above this (ARX: `1/size > threshold`). Default 0.2. */
  threshold?: number;
  /** The size in the population of each class, in the order of `classSizes` (journalist, marketer). */
  populationClassSizes?: ArrayLike<number>;
  /** Sampling fraction or population size, for the population-uniqueness models. */
  population?: PopulationModel;
  solver?: SolverConfiguration;
}

export interface RiskProfile {
  records: number;
  classes: number;
  threshold: number;
  averageClassSize: number;
  lowestRisk: number;
  prosecutor: RiskSummary;
  journalist: RiskSummary;
  marketer: { averageRisk: number };
  /** Share of records in a class of size 1. */
  sampleUniqueness: number;
  /** Present when a population model was given. */
  populationUniqueness?: PopulationUniqueness;
  frequencies: ClassSizeFrequencies;
  /** Share of records per risk interval (ARX's `RiskModelSampleRiskDistribution`). */
  riskDistribution: RiskDistribution;
  /** Records per class-size bucket. */
  sizeDistribution: SizeDistribution;
}

export const DEFAULT_THRESHOLD = 0.2;

const nanToZero = (v: number) => (Number.isNaN(v) ? 0 : v);

/** Every sample-based measure, and population uniqueness when `options.population` is given. */
export function riskProfile(classSizes: ArrayLike<number>, options: RiskProfileOptions = {}): RiskProfile {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new RiskInputError(`risk threshold ${threshold} must be in [0, 1]`);
  }
  const frequencies = classSizeFrequencies(classSizes);
  const prosecutor = prosecutorRisk(classSizes, threshold);
  const population = options.populationClassSizes;
  if (population !== undefined && population.length !== classSizes.length) {
    throw new RiskInputError(
      `${population.length} population class sizes for ${classSizes.length} sample classes`,
    );
  }
  const journalist = population ? journalistRisk(classSizes, population, threshold) : { ...prosecutor };
  const marketer = {
    averageRisk: population ? marketerRisk(classSizes, population) : prosecutor.averageRisk,
  };
  const { records, classes } = frequencies;
  const unique = frequencies.sizes[0] === 1 ? frequencies.counts[0]! : 0;
  const largest = frequencies.sizes.length > 0 ? frequencies.sizes[frequencies.sizes.length - 1]! : 0;

  const profile: RiskProfile = {
    records,
    classes,
    threshold,
    averageClassSize: records === 0 ? 0 : records / classes,
    lowestRisk: largest === 0 ? 0 : 1 / largest,
    prosecutor,
    journalist,
    marketer,
    sampleUniqueness: records === 0 ? 0 : unique / records,
    frequencies,
    riskDistribution: riskDistribution(frequencies),
    sizeDistribution: sizeDistribution(frequencies),
  };
  if (options.population !== undefined && records > 0) {
    profile.populationUniqueness = populationUniqueness(frequencies, options.population, options.solver);
  }
  return profile;
}

/** Prosecutor risk (`getProsecutorRisk`). */
export function prosecutorRisk(classSizes: ArrayLike<number>, threshold = DEFAULT_THRESHOLD): RiskSummary {
  let atRisk = 0;
  let smallest = 2147483647;
  let records = 0;
  let classes = 0;
  for (let i = 0; i < classSizes.length; i++) {
    const size = classSizes[i]!;
    if (size === 0) continue;
    if (1 / size > threshold) atRisk += size;
    if (size < smallest) smallest = size;
    classes++;
    records += size;
  }
  if (classes === 0) return { recordsAtRisk: 0, highestRisk: 0, averageRisk: 0 };
  return {
    recordsAtRisk: nanToZero(atRisk / records),
    highestRisk: nanToZero(1 / smallest),
    averageRisk: nanToZero(classes / records),
  };
}

/** Journalist risk against the population's class sizes (`getJournalistRisk`). */
export function journalistRisk(
  classSizes: ArrayLike<number>,
  populationSizes: ArrayLike<number>,
  threshold = DEFAULT_THRESHOLD,
): RiskSummary {
  let atRisk = 0;
  let smallestInPopulation = 2147483647;
  let records = 0;
  let classes = 0;
  let rC1 = 0;
  let rC2 = 0;
  for (let i = 0; i < classSizes.length; i++) {
    const inSample = classSizes[i]!;
    if (inSample === 0) continue;
    const inPopulation = populationSizes[i]!;
    if (inPopulation < inSample) {
      throw new RiskInputError(
        `class ${i}: ${inSample} records in the sample but ${inPopulation} in the population`,
      );
    }
    if (1 / inPopulation > threshold) atRisk += inSample;
    if (inPopulation < smallestInPopulation) smallestInPopulation = inPopulation;
    classes++;
    records += inSample;
    rC1 += inPopulation;
    rC2 += inSample / inPopulation;
  }
  if (classes === 0) return { recordsAtRisk: 0, highestRisk: 0, averageRisk: 0 };
  return {
    recordsAtRisk: nanToZero(atRisk / records),
    highestRisk: nanToZero(1 / smallestInPopulation),
    averageRisk: nanToZero(Math.max(classes / rC1, rC2 / records)),
  };
}

/** Marketer risk against the population's class sizes (`getMarketerRisk`). */
export function marketerRisk(classSizes: ArrayLike<number>, populationSizes: ArrayLike<number>): number {
  let records = 0;
  let rC = 0;
  for (let i = 0; i < classSizes.length; i++) {
    const inSample = classSizes[i]!;
    if (inSample === 0) continue;
    records += inSample;
    rC += inSample / populationSizes[i]!;
  }
  return records === 0 ? 0 : nanToZero(rC / records);
}
