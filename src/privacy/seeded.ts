/**
 * A deterministic pseudo-random sequence (mulberry32) for what must be reproducible and need not be
 * secret: generated test populations, benchmark data, the bit positions of LSH blocking bands. Never
 * for keys, blinds or noise: those come from node:crypto.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
