/**
 * The seeded random source every generator draws from: the same seed gives the same data space, byte
 * for byte. Built on the privacy module's mulberry32 (reproducible, not secret: never for keys).
 */
import { seededRandom } from "../../privacy/index.js";

export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`demo generator: seed must be an integer, got ${seed}`);
    this.next = seededRandom(seed);
  }

  /** A stream of its own for one part of the data, so that changing one generator leaves others as they were. */
  fork(label: string): Rng {
    let h = 2166136261;
    for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return new Rng((Math.floor(this.next() * 2 ** 32) ^ h) >>> 0);
  }

  float(): number {
    return this.next();
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A Poisson draw (Knuth's method: the rates here are small). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** A weighted choice among `[item, weight]` pairs. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of choices) {
      r -= w;
      if (r < 0) return item;
    }
    return choices[choices.length - 1]![0];
  }
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
