/**
 * Population uniqueness: how many records of the whole population are unique on the quasi-identifiers,
 * estimated from the sample's class-size frequencies and the sampling fraction, with ARX's models
 * (`org.deidentifier.arx.risk`): Pitman (Hoshino 2001, `ModelPitman`), Zayatz (1991, `ModelZayatz`),
 * SNB, the shared negative binomial (Chen & Keller-McNulty 1998, `ModelSNB`), and Dankar et al.'s decision
 * rule choosing among them (`RiskModelPopulationUniqueness`). Ported expression by expression, including
 * ARX's quirks, so that the numbers match ARX's; the solver is in `newton.ts`. Pure.
 */
import type { ClassSizeFrequencies } from "./classes.js";
import { digamma, gamma, logGamma, trigamma } from "./gamma.js";
import { hypergeometricProbability } from "./hypergeometric.js";
import {
  ARX_SOLVER_CONFIGURATION,
  type Equations,
  type Matrix2,
  type SolverConfiguration,
  solveNewtonRaphson,
  type Vector2,
} from "./newton.js";

export type PopulationUniquenessModel = "pitman" | "zayatz" | "snb";

/** How the population relates to the sample: its size, or the sampling fraction (sample / population). */
export type PopulationModel =
  | { populationSize: number }
  | {
      samplingFraction: number;
      /** Rows of the sample, suppressed ones included (ARX's handle rows); default: the records. */
      sampleSize?: number;
    };

export interface PopulationUniqueness {
  populationSize: number;
  /** Records analysed / population size (ARX's `getSamplingFraction`). */
  samplingFraction: number;
  /** Estimated unique individuals in the population, per model; 0 when a model gave no estimate. */
  uniques: Record<PopulationUniquenessModel, number> & { dankar: number };
  /** The same as fractions of the population. */
  fractions: Record<PopulationUniquenessModel, number> & { dankar: number };
  /** Whether each model produced an estimate (ARX's `isAvailableEstimate`). */
  available: Record<PopulationUniquenessModel, boolean>;
  /** The model Dankar's rule chose; "none" when the sample has no unique record (all estimates are 0). */
  dankarModel: PopulationUniquenessModel | "none";
}

export class PopulationModelError extends Error {}

export function populationSizeOf(model: PopulationModel, records: number): number {
  if ("populationSize" in model) {
    if (!Number.isInteger(model.populationSize) || model.populationSize < records) {
      throw new PopulationModelError(
        `population size ${model.populationSize} must be an integer at least the sample's ${records} records`,
      );
    }
    return model.populationSize;
  }
  const f = model.samplingFraction;
  if (!(f > 0 && f <= 1)) {
    throw new PopulationModelError(`sampling fraction ${f} must be in (0, 1]`);
  }
  return Math.round((model.sampleSize ?? records) / f);
}

/** Population uniqueness by every model and by Dankar's rule. */
export function populationUniqueness(
  frequencies: ClassSizeFrequencies,
  model: PopulationModel,
  solver: SolverConfiguration = ARX_SOLVER_CONFIGURATION,
): PopulationUniqueness {
  const populationSize = populationSizeOf(model, frequencies.records);
  const samplingFraction = frequencies.records / populationSize;
  const c1 = classesOfSize(frequencies, 1);

  const zero = { pitman: 0, zayatz: 0, snb: 0, dankar: 0 };
  if (c1 === 0) {
    return {
      populationSize,
      samplingFraction,
      uniques: { ...zero },
      fractions: { ...zero },
      available: { pitman: true, zayatz: true, snb: true },
      dankarModel: "none",
    };
  }
  const input = { frequencies, populationSize, samplingFraction };
  const raw = {
    pitman: pitmanUniques(input, solver),
    zayatz: zayatzUniques(input),
    snb: snbUniques(input, solver),
  };

  // Dankar et al.: Pitman for small fractions (Zayatz when it fails), else the lower of Zayatz and SNB.
  let dankarModel: PopulationUniquenessModel;
  if (samplingFraction <= 0.1) {
    dankarModel = isValid(raw.pitman) ? "pitman" : "zayatz";
  } else if (isValid(raw.snb)) {
    dankarModel = raw.zayatz < raw.snb ? "zayatz" : "snb";
  } else {
    dankarModel = "zayatz";
  }
  const valid = (v: number) => (isValid(v) ? v : 0);
  const uniques = {
    pitman: valid(raw.pitman),
    zayatz: valid(raw.zayatz),
    snb: valid(raw.snb),
    dankar: valid(raw[dankarModel]),
  };
  return {
    populationSize,
    samplingFraction,
    uniques,
    fractions: {
      pitman: uniques.pitman / populationSize,
      zayatz: uniques.zayatz / populationSize,
      snb: uniques.snb / populationSize,
      dankar: uniques.dankar / populationSize,
    },
    available: { pitman: uniques.pitman !== 0, zayatz: uniques.zayatz !== 0, snb: uniques.snb !== 0 },
    dankarModel,
  };
}

interface ModelInput {
  frequencies: ClassSizeFrequencies;
  populationSize: number;
  samplingFraction: number;
}

function isValid(value: number): boolean {
  return !Number.isNaN(value) && value !== 0;
}

function classesOfSize(frequencies: ClassSizeFrequencies, size: number): number {
  const { sizes, counts } = frequencies;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] === size) return counts[i]!;
    if (sizes[i]! > size) break;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------- Zayatz

/** c1 · P(population-unique | sample-unique) / f, the conditional probability from hypergeometric draws. */
export function zayatzUniques({ frequencies, populationSize, samplingFraction }: ModelInput): number {
  const { sizes, counts, classes, records } = frequencies;
  // ARX narrows both to Java ints.
  const N = Math.min(Math.trunc(populationSize), 2147483647);
  const n = Math.min(Math.trunc(records), 2147483647);
  const c1 = sizes[0] === 1 ? counts[0]! : 0;
  let temp = 0;
  for (let i = 0; i < sizes.length; i++) {
    temp += (counts[i]! / classes) * hypergeometricProbability(N, sizes[i]!, n, 1);
  }
  const uniqueness = ((c1 / classes) * hypergeometricProbability(N, 1, n, 1)) / temp;
  return (classesOfSize(frequencies, 1) * uniqueness) / samplingFraction;
}

// ---------------------------------------------------------------------------------------------- Pitman

/**
 * Pitman's two-parameter (θ, α) model fitted by maximum likelihood; the estimate is
 * Γ(θ+1)/Γ(θ+α) · N^α. The closed form (polygamma) equations are tried first; if they give nothing, or
 * their answer does not satisfy the iterative equations, the iterative equations are solved.
 */
export function pitmanUniques(
  { frequencies, populationSize }: ModelInput,
  solver: SolverConfiguration = ARX_SOLVER_CONFIGURATION,
): number {
  const c1 = classesOfSize(frequencies, 1);
  let c2 = classesOfSize(frequencies, 2);
  const u = frequencies.classes;
  const p = populationSize;
  const n = frequencies.records;

  // Initial guess (c2 = 0 would divide by zero: ARX overestimates with 1).
  c2 = c2 !== 0 ? c2 : 1;
  const c = (c1 * (c1 - 1)) / c2;
  const t = (n * u * c - c1 * (n - 1) * (2 * u + c)) / (2 * c1 * u + c1 * c - n * c);
  const a = (t * (c1 - n) + (n - 1) * c1) / (n * u);
  const start = { x: t, y: a };
  const thetaNonNegative = (v: Vector2) => v.x >= 0;

  let result = solveNewtonRaphson(pitmanClosed(frequencies, u, n), start, solver, [
    thetaNonNegative,
  ]).solution;
  if (Number.isNaN(result.x) || Number.isNaN(result.y)) {
    result = solveNewtonRaphson(pitmanIterative(frequencies, u, n), start, solver, [
      thetaNonNegative,
    ]).solution;
  } else {
    const test = pitmanIterative(frequencies, u, n)(result).value;
    if (
      Number.isNaN(test.x) ||
      Number.isNaN(test.y) ||
      Math.abs(test.x) > solver.accuracy ||
      Math.abs(test.y) > solver.accuracy
    ) {
      result = solveNewtonRaphson(pitmanIterative(frequencies, u, n), start, solver, [
        thetaNonNegative,
      ]).solution;
    }
  }
  return pitmanResult(result, p);
}

function pitmanResult(result: Vector2, p: number): number {
  const t = result.x;
  const a = result.y;
  if (Number.isNaN(a) || Number.isNaN(t) || a === 0) return Number.NaN;
  let val1 = Math.exp(logGamma(t + 1) - logGamma(t + a)) * p ** a;
  val1 = val1 >= 0 && val1 <= p ? val1 : Number.NaN;
  let val2 = (gamma(t + 1) / gamma(t + a)) * p ** a;
  val2 = val2 >= 0 && val2 <= p ? val2 : Number.NaN;
  if (Number.isNaN(val1) && Number.isNaN(val2)) return Number.NaN;
  if (!Number.isNaN(val1) && !Number.isNaN(val2)) return Math.max(val1, val2);
  return Number.isNaN(val1) ? val2 : val1;
}

function pitmanClosed(frequencies: ClassSizeFrequencies, u: number, n: number): Equations {
  const { sizes, counts } = frequencies;
  return ({ x: t, y: a }) => {
    const val0 = u - 1;
    const val1 = digamma(val0 + t / a + 1);
    const val2 = trigamma((a + t + a * val0) / a);
    const val3 = trigamma(t / a + 1);
    const val4 = digamma(t / a + 1);
    const val5 = a * a;

    const d1 = (val3 - val2) / val5;
    const d5 = (a * val1 + t * val2 - a * val4 - t * val3) / (val5 * a);
    const d3 =
      (val5 * val0 - t * t * val2 + t * t * val3 - 2 * a * t * val1 + 2 * a * t * val4) / (val5 * val5);
    const o1 = (val1 - val4) / a;
    const o3 = (-t * val1 + a * val0 + t * val4) / (a * a);
    const o2 = digamma(n + t) - digamma(t + 1);
    const d2 = trigamma(t + 1) - trigamma(n + t);

    let d4 = 0;
    let o4 = 0;
    const val6 = digamma(1 - a);
    const val7 = trigamma(1 - a);
    for (let i = 0; i < sizes.length; i++) {
      const key = sizes[i]!;
      const value = counts[i]!;
      if (key !== 1) {
        d4 += value * (val7 - trigamma(key - a));
        o4 += value * (digamma(key - a) - val6);
      }
    }
    return pitmanSystem(o1, o2, o3, o4, d1, d2, d3, d4, d5);
  };
}

function pitmanIterative(frequencies: ClassSizeFrequencies, u: number, n: number): Equations {
  const { sizes, counts } = frequencies;
  return ({ x: t, y: a }) => {
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    let d4 = 0;
    let d5 = 0;
    let o1 = 0;
    let o2 = 0;
    let o3 = 0;
    let o4 = 0;
    for (let i = 1; i < u; i++) {
      const val0 = t + i * a;
      const val1 = 1 / val0;
      const val2 = i * val1;
      const val3 = 1 / (val0 * val0);
      const val4 = i * val3;
      const val5 = i * val4;
      d1 += val3;
      d5 += val4;
      d3 += val5;
      o1 += val1;
      o3 += val2;
    }
    for (let i = 0; i < sizes.length; i++) {
      const key = sizes[i]!;
      const value = counts[i]!;
      if (key !== 1) {
        let val1 = 0;
        let val2 = 0;
        for (let j = 1; j < key; j++) {
          const val3 = j - a;
          val1 += 1 / (val3 * val3);
          val2 += 1 / val3;
        }
        d4 += value * val1;
        o4 += value * val2;
      }
    }
    for (let i = 1; i < n; i++) {
      const val0 = t + i;
      d2 += 1 / (val0 * val0);
      o2 += 1 / val0;
    }
    return pitmanSystem(o1, o2, o3, o4, d1, d2, d3, d4, d5);
  };
}

function pitmanSystem(
  o1: number,
  o2: number,
  o3: number,
  o4: number,
  d1: number,
  d2: number,
  d3: number,
  d4: number,
  d5: number,
): { value: Vector2; jacobian: Matrix2 } {
  return {
    value: { x: o1 - o2, y: o3 - o4 },
    jacobian: { x1: d2 - d1, x2: 0 - d5, y1: 0 - d5, y2: 0 - d3 - d4 },
  };
}

// ------------------------------------------------------------------------------------------------- SNB

/** The shared negative binomial model: K · β^α, with K the estimated number of non-empty population classes. */
export function snbUniques(
  { frequencies, samplingFraction }: ModelInput,
  solver: SolverConfiguration = ARX_SOLVER_CONFIGURATION,
): number {
  const c1 = classesOfSize(frequencies, 1);
  const c2 = classesOfSize(frequencies, 2);
  const f = samplingFraction;
  const k = nonEmptyClassesEstimate(frequencies, frequencies.classes, c1, f);
  const result = solveNewtonRaphson(snbEquations(k, f, c1, c2), { x: 1, y: 1 }, solver).solution;
  return k * result.y ** result.x;
}

/** Shlosser's estimator of the number of non-empty classes in the population (Haas 1998), as ARX has it. */
function nonEmptyClassesEstimate(
  frequencies: ClassSizeFrequencies,
  n: number,
  n1: number,
  f: number,
): number {
  const { sizes, counts } = frequencies;
  let var1 = 0;
  let var2 = 0;
  let var3 = 0;
  let var4 = 0;
  const var5 = f * f;
  for (let i = 0; i < sizes.length; i++) {
    const val0 = sizes[i]!;
    const val1 = counts[i]!;
    const val2 = (1 - f) ** val0 * val1;
    var1 += val0 * var5 * (1 - var5) ** (val0 - 1) * val1;
    // ARX subtracts 1 per class size here (not once); kept so that K, and the estimate, match.
    var2 += val2 * (1 + f) ** val0 - 1;
    var3 += val2;
    var4 += val0 * f * (1 - f) ** (val0 - 1) * val1;
  }
  return n + n1 * (var1 / var2) * (var3 / var4) * (var3 / var4);
}

function snbEquations(k: number, f: number, c1: number, c2: number): Equations {
  return ({ x: a, y: b }) => {
    const dividend = (1 - f) * (1 - b);
    const value = {
      x: k * f * (b / (1 - dividend)) ** a * ((a * dividend) / (1 - dividend) + 1) - c1,
      // ARX's form, multiplying by (1 − dividend)^(a+2) where the model divides; kept to match ARX.
      y:
        ((k * a * b ** a * (f * f) * (1 - b)) / 2) * (1 - dividend) ** (a + 2) * (2 - (1 - a) * dividend) -
        c2,
    };

    const val0 = (b - 1) * (f - 1);
    const val1 = val0 - 1;
    const val2 = 1 - val0;
    const val3 = (a * val0) / val1 - 1;
    const val4 = (-b / val1) ** a;
    const val6 = f ** 2;
    const val7 = b ** a;
    const val8 = val7 * val6 * k;
    const val9 = a * val8;
    const val10 = 2 * val2 ** (a + 2);
    const val11 = val1 ** 2;
    const val13 = f * k;
    const val14 = f - 1;
    const val15 = a - 1;
    const val16 = b - 1;
    const val17 = val15 * val0;
    const val18 = val6 * k;
    const val19 = val17 + 2;
    const val20 = val18 * val19;
    const jacobian = {
      x1: -val13 * Math.log(-b / val1) * val3 * val4 - (val13 * val4 * val0) / val1,
      x2:
        a * val13 * (1 / val1 - (b * val14) / val11) * val3 * (-b / val1) ** val15 -
        val13 * val4 * ((a * val14) / val1 - (a * val16 * val14 ** 2) / val11),
      y1:
        (val9 * Math.log(val2) * val19 * val16) / val10 -
        (val9 * val16 ** 2 * val14) / val10 -
        (val7 * val20 * val16) / val10 -
        (a * val7 * val18 * Math.log(b) * val19 * val16) / val10,
      y2:
        -(val9 * val19) / val10 -
        (a ** 2 * b ** val15 * val20 * val16) / val10 -
        (a * val7 * val18 * val17) / val10 -
        (a * val7 * val20 * (a + 2) * val0) / (2 * val2 ** (a + 3)),
    };
    return { value, jacobian };
  };
}
