/**
 * Cholesky solve of a small symmetric positive-definite system (row-major, size m × m), used by
 * Newton steps. A tiny ridge is added when rounding makes the matrix lose definiteness.
 */
export function solveSpd(matrix: Float64Array, rhs: Float64Array, m: number): Float64Array {
  for (let jitter = 0; jitter < 6; jitter++) {
    const ridge = jitter === 0 ? 0 : 1e-12 * 100 ** jitter;
    const l = choleskyOf(matrix, m, ridge);
    if (l) return substitute(l, rhs, m);
  }
  throw new Error("the Newton system is not positive definite");
}

function choleskyOf(a: Float64Array, m: number, ridge: number): Float64Array | null {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j]! + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= l[i * m + k]! * l[j * m + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j]!;
      }
    }
  }
  return l;
}

function substitute(l: Float64Array, b: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * m + k]! * y[k]!;
    y[i] = s / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < m; k++) s -= l[k * m + i]! * x[k]!;
    x[i] = s / l[i * m + i]!;
  }
  return x;
}

/** The logistic function, stable at both ends. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
