/**
 * ml-xgboost (XGBoost compiled to WebAssembly by Emscripten), driven through its module's exported C
 * functions rather than its `XGBoost` class. The class passes the training matrix through
 * `cwrap(…, ["array", …])`, which copies it onto Emscripten's stack (TOTAL_STACK = 5 MiB): a Float32
 * matrix over 5 MiB — 26,000 × 50 — overruns the stack and fails with "RuntimeError: memory access out
 * of bounds" (100,000 × 50: "RangeError: offset is out of bounds"). Here the matrix and labels are
 * copied with `_malloc` onto the heap, which grows on demand, and `_create_model` gets the pointers.
 * Its matrix is built without `missing = NaN`: a NaN aborts the module ("There are NAN in the matrix,
 * however, you did not set missing=NAN"), so a table with missing values is refused here first.
 */
import { createRequire } from "node:module";
import type { FeatureTable } from "../../src/train/index.js";

interface XgbModule {
  isReady: Promise<unknown>;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _create_model(data: number, labels: number, rows: number, columns: number): number;
  _train_full_model(model: number, iterations: number): void;
  _predict_one(model: number, row: number, columns: number, out: number): number;
  _free_memory_model(model: number): void;
  cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
}

let loaded: Promise<XgbModule> | undefined;

/** The WebAssembly module, loaded once (its "wasm streaming compile failed" notice is silenced: it falls back to a buffer). */
export function loadXgboost(): Promise<XgbModule> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const log = console.log;
    const warn = console.warn;
    const quiet = (...args: unknown[]) => {
      const text = String(args[0] ?? "");
      if (text.includes("wasm streaming compile failed") || text.includes("falling back to ArrayBuffer"))
        return;
      log(...args);
    };
    console.log = quiet;
    console.warn = quiet;
    try {
      const module = require("ml-xgboost/dist/wasm/xgboost.js") as XgbModule;
      await module.isReady;
      return module;
    } finally {
      console.log = log;
      console.warn = warn;
    }
  })();
  return loaded;
}

export interface XgbParams {
  readonly trees: number;
  readonly maxDepth: number;
  readonly learningRate: number;
  /** `hist` matches our histogram GBDT; `exact` is XGBoost's older default. */
  readonly treeMethod?: "hist" | "exact" | "approx";
}

export interface XgbModel {
  predict(table: FeatureTable): Float64Array;
  free(): void;
}

/** Row-major Float32 copy of a column-major table (XGBoost's dense layout), NaN kept as missing. */
function rowMajor(table: FeatureTable): Float32Array {
  const p = table.columns.length;
  const out = new Float32Array(table.rows * p);
  table.columns.forEach((column, j) => {
    for (let i = 0; i < table.rows; i++) out[i * p + j] = column[i]!;
  });
  return out;
}

function toHeap(m: XgbModule, values: Float32Array): number {
  const pointer = m._malloc(values.byteLength);
  if (pointer === 0) throw new Error(`ml-xgboost: could not allocate ${values.byteLength} bytes`);
  m.HEAPF32.set(values, pointer / 4);
  return pointer;
}

export async function fitXgboost(
  table: FeatureTable,
  labels: ArrayLike<number>,
  params: XgbParams,
): Promise<XgbModel> {
  const m = await loadXgboost();
  const p = table.columns.length;
  table.columns.forEach((column, j) => {
    if (column.some(Number.isNaN)) {
      throw new Error(
        `ml-xgboost: feature "${table.names[j]}" has missing values, which its matrix cannot take`,
      );
    }
  });
  const data = toHeap(m, rowMajor(table));
  const y = toHeap(m, Float32Array.from(labels));
  const model = m._create_model(data, y, table.rows, p);
  m._free(data);
  m._free(y);
  const set = m.cwrap("set_param", null, ["number", "string", "string"]);
  const settings: Record<string, string> = {
    booster: "gbtree",
    objective: "binary:logistic",
    max_depth: String(params.maxDepth),
    eta: String(params.learningRate),
    min_child_weight: "1",
    lambda: "1",
    subsample: "1",
    colsample_bytree: "1",
    tree_method: params.treeMethod ?? "hist",
    max_bin: "256",
    silent: "1",
  };
  for (const [key, value] of Object.entries(settings)) set(model, key, value);
  m._train_full_model(model, params.trees);
  return {
    predict(test: FeatureTable): Float64Array {
      if (test.columns.length !== p)
        throw new Error(`ml-xgboost: ${test.columns.length} features, trained on ${p}`);
      const out = new Float64Array(test.rows);
      const row = m._malloc(p * 4);
      const result = m._malloc(4);
      try {
        for (let i = 0; i < test.rows; i++) {
          for (let j = 0; j < p; j++) m.HEAPF32[row / 4 + j] = test.columns[j]![i]!;
          m._predict_one(model, row, p, result);
          out[i] = m.HEAPF32[result / 4]!;
        }
      } finally {
        m._free(row);
        m._free(result);
      }
      return out;
    },
    free: () => m._free_memory_model(model),
  };
}
