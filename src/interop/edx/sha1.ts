/**
 * SHA-1 resumable from a saved state. Statement ids hash the same long prefix (the verb's namespace and the
 * actor's JSON) before each event's timestamp; saving the state after the prefix's full blocks leaves one
 * or two blocks to compress per statement, in plain JS, without a native hash object per id.
 */

export interface Sha1Prefix {
  state: Int32Array;
  /** The prefix's bytes after its last full block. */
  rest: Uint8Array;
  /** Length of the whole prefix in bytes. */
  length: number;
}

const words = new Int32Array(80);

function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    words[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = words[i - 3]! ^ words[i - 8]! ^ words[i - 14]! ^ words[i - 16]!;
    words[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + words[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

export function sha1Prefix(prefix: Uint8Array): Sha1Prefix {
  const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
  const full = prefix.length - (prefix.length % 64);
  for (let offset = 0; offset < full; offset += 64) compress(state, prefix, offset);
  return { state, rest: prefix.slice(full), length: prefix.length };
}

const tail = new Uint8Array(192);

/** The SHA-1 digest (20 bytes) of the prefix followed by `suffix`. */
export function sha1Resume(prefix: Sha1Prefix, suffix: Uint8Array): Uint8Array {
  const state = prefix.state.slice();
  const total = prefix.length + suffix.length;
  let buffer = tail;
  const needed = prefix.rest.length + suffix.length + 9;
  const blocks = Math.ceil(needed / 64);
  if (blocks * 64 > buffer.length) buffer = new Uint8Array(blocks * 64);
  else buffer.fill(0, 0, blocks * 64);
  buffer.set(prefix.rest, 0);
  buffer.set(suffix, prefix.rest.length);
  buffer[prefix.rest.length + suffix.length] = 0x80;
  const end = blocks * 64;
  const bits = total * 8;
  // The message length in bits, big-endian, in the last 8 bytes (lengths here stay far below 2^32 bits).
  buffer[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
  buffer[end - 4] = (bits >>> 24) & 0xff;
  buffer[end - 3] = (bits >>> 16) & 0xff;
  buffer[end - 2] = (bits >>> 8) & 0xff;
  buffer[end - 1] = bits & 0xff;
  for (let offset = 0; offset < end; offset += 64) compress(state, buffer, offset);
  const digest = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const word = state[i]!;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = (word >>> 16) & 0xff;
    digest[i * 4 + 2] = (word >>> 8) & 0xff;
    digest[i * 4 + 3] = word & 0xff;
  }
  return digest;
}
