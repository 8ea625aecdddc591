import { seededRandom } from "../privacy/seeded.js";

export { seededRandom };

/** A standard normal draw (Box–Muller) from a seeded uniform source. */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** `count` distinct indices of 0..n-1 in ascending order (partial Fisher–Yates), reproducible under the source. */
export function sampleIndices(n: number, count: number, random: () => number): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const k = Math.min(n, Math.max(0, count));
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}
