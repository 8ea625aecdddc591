/**
 * Where the noise's randomness comes from. Every sampler draws only uniform integers from a
 * `RandomSource`: `SecureRandom` (node:crypto's CSPRNG) in production, `SeededRandom` (an AES-256-CTR
 * keystream under a seed) for reproducible tests and benchmarks. Uniform integers are made by rejection
 * from whole random bytes, never from floating point, so that every draw is exactly uniform.
 */
import { createCipheriv, createHash, randomFillSync } from "node:crypto";

export interface RandomSource {
  /** A uniform integer in [0, n), n ≥ 1. */
  below(n: bigint): bigint;
  /** A uniform integer in [0, n), 1 ≤ n ≤ 2^48 (a fast path for the small ranges most draws use). */
  belowSmall(n: number): number;
}

const POOL_BYTES = 8192;
const TWO_48 = 2 ** 48;

/** Uniform integers from a stream of random bytes, read from a refilled pool. */
export class ByteRandom implements RandomSource {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private at = POOL_BYTES;

  constructor(private readonly fill: (buffer: Buffer) => void) {}

  private take(bytes: number): number {
    if (this.at + bytes > POOL_BYTES) {
      this.fill(this.pool);
      this.at = 0;
    }
    const start = this.at;
    this.at += bytes;
    return start;
  }

  belowSmall(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > TWO_48) throw new RangeError(`belowSmall: bad range ${n}`);
    if (n === 1) return 0;
    // Rejection on 48-bit words: accept below the largest multiple of n, so that `% n` is uniform.
    const limit = TWO_48 - (TWO_48 % n);
    for (;;) {
      const at = this.take(6);
      const word = this.pool.readUIntBE(at, 6);
      if (word < limit) return word % n;
    }
  }

  below(n: bigint): bigint {
    if (n < 1n) throw new RangeError(`below: bad range ${n}`);
    if (n <= BigInt(TWO_48)) return BigInt(this.belowSmall(Number(n)));
    // Rejection on the smallest whole number of bytes covering n - 1, top bits masked.
    const bits = (n - 1n).toString(2).length;
    const bytes = Math.ceil(bits / 8);
    if (bytes > 512) throw new RangeError("below: range too large");
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const at = this.take(bytes);
      let word = 0n;
      for (let i = 0; i < bytes; i++) word = (word << 8n) | BigInt(this.pool[at + i] as number);
      word &= mask;
      if (word < n) return word;
    }
  }
}

/** node:crypto's CSPRNG: the only source a released statistic may use. */
export class SecureRandom extends ByteRandom {
  constructor() {
    super((buffer) => randomFillSync(buffer));
  }
}

/**
 * A deterministic source for tests and benchmarks: the AES-256-CTR keystream under SHA-256(seed).
 * Never for a released statistic (whoever knows the seed knows the noise).
 */
export class SeededRandom extends ByteRandom {
  constructor(seed: string | number) {
    const key = createHash("sha256").update(`learnpool-dp-seed:${seed}`).digest();
    const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    const zeros = Buffer.alloc(POOL_BYTES);
    super((buffer) => {
      cipher.update(zeros).copy(buffer);
    });
  }
}

let shared: SecureRandom | undefined;

/** The process's secure source. */
export function secureRandom(): SecureRandom {
  shared ??= new SecureRandom();
  return shared;
}
