import { TrainError } from "./errors.js";
import { rocAuc } from "./evaluate/metrics.js";
import { sigmoid } from "./models/linalg.js";
import { fitLogistic, type LogisticModel, originalScale } from "./models/logistic.js";

/**
 * Knowledge tracing for adaptive learning, from the rows of the `sequences` view: each attempt's
 * probability of being correct predicted from the same learner's earlier attempts only.
 *
 * - A baseline: the skill's success rate in training (what a learner's history adds is measured against it).
 * - Performance Factors Analysis (Pavlik, Cen & Koedinger 2009): P(correct) = σ(β_k + γ_k·s + ρ_k·f), s and f
 *   the learner's earlier successes and failures at skill (or item) k; optionally a learner-ability term.
 * - Bayesian Knowledge Tracing (Corbett & Anderson 1995): a hidden mastered/not-mastered state per skill,
 *   four parameters per skill (initial mastery, learning, guess, slip) of highest likelihood (grid, then pattern search).
 *
 * "Earlier" means a smaller position in the learner's sequence and another statement: the rows of one
 * statement that is evidence of several skills share one outcome, so none of them feeds another.
 *
 * No recurrent model (DKT, Piech et al. 2015): the one npm library that trains an LSTM on CPU without a
 * native download, @tensorflow/tfjs 4.22 on its pure-JS backend, is 294 MB installed (its split packages
 * do not load as ES modules), and took 12 s for three epochs of 200 sequences × 50 steps (LSTM of 32
 * units) here: hours per epoch on a real pool's sequences. Its fast backend (tfjs-node) downloads a
 * native library at install, which this project's machines cannot do.
 */
export interface Attempt {
  readonly learner: string;
  /** Order in the learner's sequence (the view's `position`): unique per learner. */
  readonly position: number;
  /** The skill (or item) attempted. */
  readonly skill: string;
  readonly correct: boolean | 0 | 1;
  /** Rows of one statement (several skills) share an outcome; none of them feeds the others. */
  readonly statement?: string;
}

/** A row of the `sequences` view as DuckDB returns it (unit `skill` or `item`). */
export interface SequenceRow {
  readonly learner: string;
  readonly position: number | bigint;
  readonly skill?: string | null;
  readonly item?: string | null;
  readonly correct: boolean | number | null;
  readonly statement_id?: string | null;
}

/** Attempts from `sequences` rows; rows without an outcome or a unit are not attempts and are left out. */
export function attemptsFromSequences(rows: readonly SequenceRow[], unit: "skill" | "item"): Attempt[] {
  if (unit !== "skill" && unit !== "item") throw new TrainError(`sequences: unknown unit ${String(unit)}`);
  const out: Attempt[] = [];
  rows.forEach((row, i) => {
    const skill = row[unit];
    if (skill === null || skill === undefined || row.correct === null) return;
    if (typeof row.learner !== "string" || row.learner === "") {
      throw new TrainError(`sequences: row ${i} has no learner`);
    }
    out.push({
      learner: row.learner,
      position: Number(row.position),
      skill,
      correct: row.correct === true || row.correct === 1 ? 1 : 0,
      ...(row.statement_id ? { statement: row.statement_id } : {}),
    });
  });
  return out;
}

/** Attempts grouped per learner in sequence order, then in runs of one statement. */
interface Ordered {
  /** Runs of row indices: one run per statement (or per row without one), in sequence order. */
  readonly runs: number[][];
  readonly outcome: Uint8Array;
}

function ordered(attempts: readonly Attempt[], where: string): Ordered {
  const byLearner = new Map<string, number[]>();
  const outcome = new Uint8Array(attempts.length);
  attempts.forEach((a, i) => {
    if (typeof a.learner !== "string" || a.learner === "")
      throw new TrainError(`${where}: row ${i} has no learner`);
    if (typeof a.skill !== "string" || a.skill === "")
      throw new TrainError(`${where}: row ${i} has no skill`);
    if (!Number.isFinite(a.position)) throw new TrainError(`${where}: row ${i} has no finite position`);
    const c = a.correct;
    if (c !== true && c !== false && c !== 0 && c !== 1) {
      throw new TrainError(`${where}: row ${i} correct is ${String(c)}, expected a boolean or 0/1`);
    }
    outcome[i] = c === true || c === 1 ? 1 : 0;
    let rows = byLearner.get(a.learner);
    if (!rows) {
      rows = [];
      byLearner.set(a.learner, rows);
    }
    rows.push(i);
  });
  const runs: number[][] = [];
  for (const rows of byLearner.values()) {
    rows.sort((a, b) => attempts[a]!.position - attempts[b]!.position);
    let run: number[] = [];
    rows.forEach((i, k) => {
      const previous = k > 0 ? attempts[rows[k - 1]!]! : undefined;
      const a = attempts[i]!;
      if (previous && previous.position === a.position) {
        throw new TrainError(`${where}: row ${i} repeats the position of an earlier row of the same learner`);
      }
      const sameStatement = previous && a.statement !== undefined && previous.statement === a.statement;
      if (!sameStatement && run.length > 0) {
        runs.push(run);
        run = [];
      }
      run.push(i);
    });
    if (run.length > 0) runs.push(run);
  }
  return { runs, outcome };
}

/** The learner's history before each row: successes and failures at its skill, and over all skills. */
interface History {
  readonly successes: Float64Array;
  readonly failures: Float64Array;
  readonly allSuccesses: Float64Array;
  readonly allAttempts: Float64Array;
}

function history(attempts: readonly Attempt[], order: Ordered): History {
  const n = attempts.length;
  const h: History = {
    successes: new Float64Array(n),
    failures: new Float64Array(n),
    allSuccesses: new Float64Array(n),
    allAttempts: new Float64Array(n),
  };
  let learner: string | undefined;
  let counts = new Map<string, [number, number]>();
  let successes = 0;
  let total = 0;
  for (const run of order.runs) {
    const first = attempts[run[0]!]!;
    if (first.learner !== learner) {
      learner = first.learner;
      counts = new Map();
      successes = 0;
      total = 0;
    }
    // Every row of a run reads the history before the run, then the run is added to it.
    for (const i of run) {
      const c = counts.get(attempts[i]!.skill);
      h.successes[i] = c?.[0] ?? 0;
      h.failures[i] = c?.[1] ?? 0;
      h.allSuccesses[i] = successes;
      h.allAttempts[i] = total;
    }
    for (const i of run) {
      const skill = attempts[i]!.skill;
      const c = counts.get(skill) ?? [0, 0];
      c[order.outcome[i] === 1 ? 0 : 1]++;
      counts.set(skill, c);
      successes += order.outcome[i]!;
      total++;
    }
  }
  return h;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Success rate of each skill, shrunk towards the overall rate by `prior` pseudo-attempts. */
function skillRates(
  attempts: readonly Attempt[],
  outcome: Uint8Array,
  prior: number,
): { overall: number; rates: Map<string, { rate: number; attempts: number; correct: number }> } {
  const tally = new Map<string, [number, number]>();
  let correct = 0;
  attempts.forEach((a, i) => {
    const t = tally.get(a.skill) ?? [0, 0];
    t[0] += outcome[i]!;
    t[1]++;
    tally.set(a.skill, t);
    correct += outcome[i]!;
  });
  // Kept off 0 and 1 so that a log-odds or a log loss stays finite.
  const overall = (correct + 1) / (attempts.length + 2);
  const rates = new Map<string, { rate: number; attempts: number; correct: number }>();
  for (const [skill, [c, n]] of tally) {
    rates.set(skill, { rate: (c + prior * overall) / (n + prior), attempts: n, correct: c });
  }
  return { overall, rates };
}

// ---------------------------------------------------------------------------------------------------
// Baseline

export interface SkillRateModel {
  readonly kind: "skill-rate";
  readonly overall: number;
  readonly skills: readonly { skill: string; rate: number; attempts: number }[];
}

/** Each skill's success rate in training, shrunk towards the overall rate by `prior` pseudo-attempts (default 1). */
export function fitSkillRate(attempts: readonly Attempt[], options: { prior?: number } = {}): SkillRateModel {
  const prior = options.prior ?? 1;
  if (!(prior > 0 && Number.isFinite(prior))) throw new TrainError("skillRate.prior: must be a number > 0");
  if (attempts.length === 0) throw new TrainError("skillRate: no attempt to train on");
  const { outcome } = ordered(attempts, "training attempts");
  const { overall, rates } = skillRates(attempts, outcome, prior);
  return {
    kind: "skill-rate",
    overall,
    skills: [...rates].map(([skill, r]) => ({ skill, rate: r.rate, attempts: r.attempts })),
  };
}

export function predictSkillRate(model: SkillRateModel, attempts: readonly Attempt[]): Float64Array {
  ordered(attempts, "attempts");
  const rates = new Map(model.skills.map((s) => [s.skill, s.rate]));
  return Float64Array.from(attempts, (a) => rates.get(a.skill) ?? model.overall);
}

// ---------------------------------------------------------------------------------------------------
// Performance Factors Analysis

export interface PfaParams {
  /** Counts as they are (Pavlik et al.) or as log(1 + count), which flattens long histories. Default "raw". */
  readonly counts?: "raw" | "log";
  /**
   * Adds a learner-ability term α_k·a, a = the log-odds of the learner's earlier success rate over all
   * skills (shrunk to ½ by one success and one failure). AFM's per-learner intercept cannot score a learner
   * unseen in training (the test split's learners), so ability is estimated from the past as it goes.
   */
  readonly ability?: boolean;
  /** L2 penalty of each skill's logistic regression, on standardized features (default 1e-3). */
  readonly l2?: number;
  /** A skill with fewer attempts, or one outcome only, keeps its smoothed success rate (default 20). */
  readonly minAttempts?: number;
}

export interface PfaSkill {
  readonly skill: string;
  /** Easiness β, success weight γ, failure weight ρ, on the counts' scale (log-odds). */
  readonly beta: number;
  readonly gamma: number;
  readonly rho: number;
  /** Weight of the learner-ability term (0 without it). */
  readonly alpha: number;
  readonly attempts: number;
  /** False when the skill had too few attempts or one outcome: β is its smoothed rate, γ = ρ = α = 0. */
  readonly fitted: boolean;
}

export interface PfaModel {
  readonly kind: "pfa";
  readonly params: Required<PfaParams>;
  /** Log-odds for a skill never seen in training. */
  readonly overall: number;
  readonly skills: readonly PfaSkill[];
}

/**
 * Fits PFA. The design is block-diagonal by skill (a row only has the columns of its own skill), so each
 * skill's β, γ, ρ (and α) are fitted by our logistic regression on that skill's rows alone: the same
 * maximum-likelihood fit as the joint one-hot design, in memory proportional to the rows instead of
 * rows × 3 × skills, and with any number of skills.
 */
export function fitPfa(attempts: readonly Attempt[], params: PfaParams = {}): PfaModel {
  const p = pfaParams(params);
  if (attempts.length === 0) throw new TrainError("pfa: no attempt to train on");
  const order = ordered(attempts, "training attempts");
  const h = history(attempts, order);
  const { overall, rates } = skillRates(attempts, order.outcome, 1);
  const rowsOf = new Map<string, number[]>();
  attempts.forEach((a, i) => {
    const rows = rowsOf.get(a.skill) ?? [];
    rows.push(i);
    rowsOf.set(a.skill, rows);
  });
  const skills: PfaSkill[] = [];
  for (const [skill, rows] of rowsOf) {
    const rate = rates.get(skill)!;
    const oneOutcome = rate.correct === 0 || rate.correct === rows.length;
    if (rows.length < p.minAttempts || oneOutcome) {
      skills.push({
        skill,
        beta: logit(rate.rate),
        gamma: 0,
        rho: 0,
        alpha: 0,
        attempts: rows.length,
        fitted: false,
      });
      continue;
    }
    const features = pfaFeatures(h, rows, p);
    const labels = Uint8Array.from(rows, (i) => order.outcome[i]!);
    const model: LogisticModel = fitLogistic(features, labels, { l2: p.l2 });
    const { intercept, coefficients } = originalScale(model);
    skills.push({
      skill,
      beta: intercept,
      gamma: coefficients[0]!,
      rho: coefficients[1]!,
      alpha: p.ability ? coefficients[2]! : 0,
      attempts: rows.length,
      fitted: true,
    });
  }
  return { kind: "pfa", params: p, overall: logit(overall), skills };
}

/** P(correct) of each attempt, in the input's order, from the same learner's earlier attempts in `attempts`. */
export function predictPfa(model: PfaModel, attempts: readonly Attempt[]): Float64Array {
  const order = ordered(attempts, "attempts");
  const h = history(attempts, order);
  const bySkill = new Map(model.skills.map((s) => [s.skill, s]));
  const count = model.params.counts === "log" ? Math.log1p : (x: number) => x;
  const out = new Float64Array(attempts.length);
  attempts.forEach((a, i) => {
    const s = bySkill.get(a.skill);
    if (!s) {
      out[i] = sigmoid(model.overall);
      return;
    }
    let eta = s.beta + s.gamma * count(h.successes[i]!) + s.rho * count(h.failures[i]!);
    if (model.params.ability) eta += s.alpha * ability(h, i);
    out[i] = sigmoid(eta);
  });
  return out;
}

function pfaParams(params: PfaParams): Required<PfaParams> {
  const counts = params.counts ?? "raw";
  if (counts !== "raw" && counts !== "log")
    throw new TrainError(`pfa.counts: "raw" or "log", not ${String(counts)}`);
  const l2 = params.l2 ?? 1e-3;
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new TrainError("pfa.l2: must be a number ≥ 0");
  const minAttempts = params.minAttempts ?? 20;
  if (!(Number.isInteger(minAttempts) && minAttempts >= 2)) {
    throw new TrainError("pfa.minAttempts: must be an integer ≥ 2");
  }
  return { counts, ability: params.ability ?? false, l2, minAttempts };
}

function ability(h: History, i: number): number {
  return logit((h.allSuccesses[i]! + 1) / (h.allAttempts[i]! + 2));
}

function pfaFeatures(h: History, rows: readonly number[], p: Required<PfaParams>) {
  const count = p.counts === "log" ? Math.log1p : (x: number) => x;
  const names = p.ability ? ["successes", "failures", "ability"] : ["successes", "failures"];
  const columns = names.map(() => new Float64Array(rows.length));
  rows.forEach((i, k) => {
    columns[0]![k] = count(h.successes[i]!);
    columns[1]![k] = count(h.failures[i]!);
    if (p.ability) columns[2]![k] = ability(h, i);
  });
  return { names, columns, rows: rows.length };
}

// ---------------------------------------------------------------------------------------------------
// Bayesian Knowledge Tracing

export interface BktSkill {
  readonly skill: string;
  /** P(mastered before the first attempt), P(learning at an attempt), P(correct unmastered), P(wrong mastered). */
  readonly init: number;
  readonly learn: number;
  readonly guess: number;
  readonly slip: number;
  readonly attempts: number;
}

export interface BktModel {
  readonly kind: "bkt";
  /** For a skill never seen in training: the median of the other skills' parameters. */
  readonly fallback: Omit<BktSkill, "skill" | "attempts">;
  readonly skills: readonly BktSkill[];
}

type BktParams = { init: number; learn: number; guess: number; slip: number };

// Guess and slip stay below ½ so that "mastered" means "more likely correct" (no degenerate swap).
const BKT_BOUNDS: Record<keyof BktParams, [number, number]> = {
  init: [0.01, 0.99],
  learn: [0.001, 0.6],
  guess: [0.01, 0.45],
  slip: [0.01, 0.45],
};
const BKT_GRID: Record<keyof BktParams, number[]> = {
  init: [0.2, 0.5, 0.8],
  learn: [0.03, 0.1, 0.25],
  guess: [0.1, 0.25, 0.4],
  slip: [0.05, 0.15, 0.3],
};
const BKT_KEYS = ["init", "learn", "guess", "slip"] as const;

/**
 * Fits BKT per skill by maximum likelihood: the best point of a coarse grid (81 points), then a pattern
 * search (each parameter moved up and down, the step halved when no move helps) down to steps of 0.002.
 * Deterministic, and free of EM's sensitivity to its starting point.
 */
export function fitBkt(attempts: readonly Attempt[]): BktModel {
  if (attempts.length === 0) throw new TrainError("bkt: no attempt to train on");
  const order = ordered(attempts, "training attempts");
  const skills: BktSkill[] = [];
  for (const [skill, seqs] of skillSequences(attempts, order)) {
    const data = flatten(seqs, order.outcome);
    let best: BktParams = { init: 0.5, learn: 0.1, guess: 0.2, slip: 0.1 };
    let bestLoglik = Number.NEGATIVE_INFINITY;
    for (const init of BKT_GRID.init)
      for (const learn of BKT_GRID.learn)
        for (const guess of BKT_GRID.guess)
          for (const slip of BKT_GRID.slip) {
            const loglik = bktLoglik({ init, learn, guess, slip }, data);
            if (loglik > bestLoglik) {
              bestLoglik = loglik;
              best = { init, learn, guess, slip };
            }
          }
    for (let step = 0.05; step >= 0.002; ) {
      let moved = false;
      for (const key of BKT_KEYS) {
        for (const sign of [1, -1]) {
          const [lo, hi] = BKT_BOUNDS[key];
          const value = Math.min(hi, Math.max(lo, best[key] + sign * step));
          if (value === best[key]) continue;
          const trial = { ...best, [key]: value };
          const loglik = bktLoglik(trial, data);
          if (loglik > bestLoglik + 1e-12) {
            bestLoglik = loglik;
            best = trial;
            moved = true;
          }
        }
      }
      if (!moved) step /= 2;
    }
    skills.push({ skill, ...best, attempts: data.outcome.length });
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    kind: "bkt",
    fallback: {
      init: median(skills.map((s) => s.init)),
      learn: median(skills.map((s) => s.learn)),
      guess: median(skills.map((s) => s.guess)),
      slip: median(skills.map((s) => s.slip)),
    },
    skills,
  };
}

/** P(correct) of each attempt, in the input's order, from the same learner's earlier attempts at its skill. */
export function predictBkt(model: BktModel, attempts: readonly Attempt[]): Float64Array {
  const order = ordered(attempts, "attempts");
  const bySkill = new Map(model.skills.map((s) => [s.skill, s]));
  const out = new Float64Array(attempts.length);
  for (const [skill, seqs] of skillSequences(attempts, order)) {
    const p = bySkill.get(skill) ?? model.fallback;
    for (const seq of seqs) {
      let mastered = p.init;
      for (const i of seq) {
        out[i] = mastered * (1 - p.slip) + (1 - mastered) * p.guess;
        mastered = bktStep(p, mastered, order.outcome[i]!);
      }
    }
  }
  return out;
}

/** Per skill, each learner's rows at that skill, in sequence order. */
function skillSequences(attempts: readonly Attempt[], order: Ordered): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  let learner: string | undefined;
  let current = new Map<string, number[]>();
  for (const run of order.runs) {
    const first = attempts[run[0]!]!;
    if (first.learner !== learner) {
      learner = first.learner;
      current = new Map();
    }
    for (const i of run) {
      const skill = attempts[i]!.skill;
      let seq = current.get(skill);
      if (!seq) {
        seq = [];
        current.set(skill, seq);
        const all = out.get(skill) ?? [];
        all.push(seq);
        out.set(skill, all);
      }
      seq.push(i);
    }
  }
  return out;
}

/** One skill's sequences end to end: outcomes, and a 1 where a learner's sequence starts. */
function flatten(seqs: readonly number[][], outcome: Uint8Array): { outcome: Uint8Array; start: Uint8Array } {
  let n = 0;
  for (const seq of seqs) n += seq.length;
  const flat = { outcome: new Uint8Array(n), start: new Uint8Array(n) };
  let k = 0;
  for (const seq of seqs) {
    seq.forEach((i, j) => {
      flat.outcome[k] = outcome[i]!;
      flat.start[k++] = j === 0 ? 1 : 0;
    });
  }
  return flat;
}

function bktLoglik(p: BktParams, data: { outcome: Uint8Array; start: Uint8Array }): number {
  const { init, learn, guess, slip } = p;
  let mastered = init;
  let loglik = 0;
  for (let k = 0; k < data.outcome.length; k++) {
    if (data.start[k] === 1) mastered = init;
    const correct = mastered * (1 - slip) + (1 - mastered) * guess;
    let posterior: number;
    if (data.outcome[k] === 1) {
      loglik += Math.log(correct);
      posterior = (mastered * (1 - slip)) / correct;
    } else {
      loglik += Math.log(1 - correct);
      posterior = (mastered * slip) / (1 - correct);
    }
    mastered = posterior + (1 - posterior) * learn;
  }
  return loglik;
}

/** The posterior of mastery after an outcome, then the chance to learn. */
function bktStep(p: BktParams, mastered: number, y: number): number {
  const correct = mastered * (1 - p.slip) + (1 - mastered) * p.guess;
  const posterior = y === 1 ? (mastered * (1 - p.slip)) / correct : (mastered * p.slip) / (1 - correct);
  return posterior + (1 - posterior) * p.learn;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

export interface KtSkillMetrics {
  readonly skill: string;
  readonly attempts: number;
  readonly correct: number;
  /** Null when the skill's attempts have one outcome only. */
  readonly auc: number | null;
  readonly rmse: number;
}

export interface KtMetrics {
  readonly attempts: number;
  readonly correct: number;
  readonly learners: number;
  /** Next-attempt AUC over all attempts (null with one outcome only), RMSE and log loss of the probabilities. */
  readonly auc: number | null;
  readonly rmse: number;
  readonly logLoss: number;
  readonly skills: readonly KtSkillMetrics[];
}

/** Next-attempt metrics of predictions (one per attempt, in the same order), overall and per skill. */
export function ktMetrics(attempts: readonly Attempt[], predictions: ArrayLike<number>): KtMetrics {
  if (predictions.length !== attempts.length) {
    throw new TrainError(`ktMetrics: ${predictions.length} predictions for ${attempts.length} attempts`);
  }
  if (attempts.length === 0) throw new TrainError("ktMetrics: no attempt to evaluate");
  const { outcome } = ordered(attempts, "attempts");
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i]!;
    if (!(p >= 0 && p <= 1)) throw new TrainError(`ktMetrics: prediction ${i} is not a probability`);
  }
  const rowsOf = new Map<string, number[]>();
  attempts.forEach((a, i) => {
    const rows = rowsOf.get(a.skill) ?? [];
    rows.push(i);
    rowsOf.set(a.skill, rows);
  });
  const all = attempts.map((_, i) => i);
  const skills = [...rowsOf]
    .map(([skill, rows]) => ({ skill, ...summary(rows, outcome, predictions) }))
    .sort((a, b) => b.attempts - a.attempts || (a.skill < b.skill ? -1 : 1));
  const overall = summary(all, outcome, predictions);
  let logLoss = 0;
  for (let i = 0; i < attempts.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, predictions[i]!));
    logLoss -= outcome[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return {
    ...overall,
    learners: new Set(attempts.map((a) => a.learner)).size,
    logLoss: logLoss / attempts.length,
    skills,
  };
}

function summary(rows: readonly number[], outcome: Uint8Array, predictions: ArrayLike<number>) {
  let correct = 0;
  let squares = 0;
  for (const i of rows) {
    correct += outcome[i]!;
    squares += (predictions[i]! - outcome[i]!) ** 2;
  }
  const oneOutcome = correct === 0 || correct === rows.length;
  const auc = oneOutcome
    ? null
    : rocAuc(
        Float64Array.from(rows, (i) => predictions[i]!),
        Uint8Array.from(rows, (i) => outcome[i]!),
      );
  return { attempts: rows.length, correct, auc, rmse: Math.sqrt(squares / rows.length) };
}

export interface KtComparison {
  readonly baseline: KtMetrics;
  readonly pfa: KtMetrics;
  readonly bkt?: KtMetrics;
  readonly models: { readonly pfa: PfaModel; readonly bkt?: BktModel };
}

/**
 * Trains the baseline, PFA and (when asked) BKT on the train split's learners and scores the test split's
 * learners, each attempt from that learner's earlier test attempts (test learners are unseen in training).
 */
export function compareKnowledgeTracing(
  train: readonly Attempt[],
  test: readonly Attempt[],
  options: { pfa?: PfaParams; bkt?: boolean } = {},
): KtComparison {
  const trainLearners = new Set(train.map((a) => a.learner));
  const shared = test.findIndex((a) => trainLearners.has(a.learner));
  if (shared >= 0) throw new TrainError(`knowledge tracing: test row ${shared} is of a learner in training`);
  const baseline = ktMetrics(test, predictSkillRate(fitSkillRate(train), test));
  const pfaModel = fitPfa(train, options.pfa);
  const pfa = ktMetrics(test, predictPfa(pfaModel, test));
  if (!options.bkt) return { baseline, pfa, models: { pfa: pfaModel } };
  const bktModel = fitBkt(train);
  return {
    baseline,
    pfa,
    bkt: ktMetrics(test, predictBkt(bktModel, test)),
    models: { pfa: pfaModel, bkt: bktModel },
  };
}
