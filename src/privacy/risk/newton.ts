/**
 * The two-dimensional Newton–Raphson solver ARX uses for the Pitman and SNB models (Prasser's
 * `de.linearbits.newtonraphson.NewtonRaphson2D`), with ARX's solver configuration (`ARXSolverConfiguration`:
 * accuracy 1e-6, 1,000 iterations per try, 10,000 in total, 100 ms per try, 1 s in total).
 *
 * A try starts from the given point; when it diverges (NaN, a violated constraint, or its iteration or
 * time budget spent) the next try starts from a random point in [−|x0|, |x0|] × [−|y0|, |y0|]. ARX draws
 * those with `Math.random()`; here they come from a seeded generator so that a report can be reproduced.
 * The answer is the first point where both equations are within the accuracy, or (NaN, NaN).
 */
import { seededRandom } from "../seeded.js";

export interface SolverConfiguration {
  accuracy: number;
  iterationsPerTry: number;
  iterationsTotal: number;
  /** Milliseconds. */
  timePerTry: number;
  /** Milliseconds. */
  timeTotal: number;
  /** Source of the restart points, uniform in [0, 1); default: a fixed-seed generator. */
  random?: () => number;
}

export const ARX_SOLVER_CONFIGURATION: Readonly<SolverConfiguration> = Object.freeze({
  accuracy: 1e-6,
  iterationsPerTry: 1000,
  iterationsTotal: 10000,
  timePerTry: 100,
  timeTotal: 1000,
});

export interface Vector2 {
  x: number;
  y: number;
}

/** Row-major (x1 x2 / y1 y2), ARX's naming. */
export interface Matrix2 {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

/** The equations at a point and their Jacobian. */
export type Equations = (at: Vector2) => { value: Vector2; jacobian: Matrix2 };
export type Constraint = (at: Vector2) => boolean;

export interface SolverOutcome {
  solution: Vector2;
  converged: boolean;
  iterations: number;
  tries: number;
}

export function solveNewtonRaphson(
  equations: Equations,
  start: Vector2,
  config: SolverConfiguration = ARX_SOLVER_CONFIGURATION,
  constraints: readonly Constraint[] = [],
): SolverOutcome {
  // A fixed seed where ARX uses Math.random(): a report can be reproduced.
  const random = config.random ?? seededRandom(0x5eed);
  const init = { x: start.x, y: start.y };
  const totalStart = Date.now();
  let totalIterations = 0;
  let tries = 0;
  let solution: Vector2 | null = null;

  outer: while (totalIterations <= config.iterationsTotal) {
    const startPerTry = Date.now();
    let iterations = 0;
    tries++;
    solution =
      solution === null
        ? { x: start.x, y: start.y }
        : { x: (random() * 2 - 1) * init.x, y: (random() * 2 - 1) * init.y };

    while (true) {
      totalIterations++;
      const { value, jacobian } = equations(solution);
      if (Math.abs(value.x) <= config.accuracy && Math.abs(value.y) <= config.accuracy) {
        return { solution, converged: true, iterations: totalIterations, tries };
      }

      // solution −= J⁻¹ · value
      const scalar = 1.0 / (jacobian.x1 * jacobian.y2 - jacobian.x2 * jacobian.y1);
      const i1 = jacobian.y2 * scalar;
      const i2 = -jacobian.x2 * scalar;
      const j1 = -jacobian.y1 * scalar;
      const j2 = jacobian.x1 * scalar;
      const dx = i1 * value.x + i2 * value.y;
      const dy = j1 * value.x + j2 * value.y;
      solution.x -= dx;
      solution.y -= dy;

      const time = Date.now();
      if (time - totalStart > config.timeTotal) break outer;
      if (constraints.some((holds) => !holds(solution!))) break;
      if (
        Number.isNaN(solution.x) ||
        Number.isNaN(solution.y) ||
        iterations++ >= config.iterationsPerTry ||
        time - startPerTry > config.timePerTry
      ) {
        break;
      }
    }
  }
  return { solution: { x: Number.NaN, y: Number.NaN }, converged: false, iterations: totalIterations, tries };
}
