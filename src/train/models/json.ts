import { TrainError } from "../errors.js";
import type { FeatureTable } from "../table.js";
import { type GbdtModel, type GbdtTree, predictGbdt } from "./gbdt.js";
import { type LogisticModel, predictLogistic } from "./logistic.js";

export type Model = LogisticModel | GbdtModel;

/** Our own JSON form of a model: versioned, self-describing, with the feature names it expects. */
export const MODEL_FORMAT = "learnpool.model";
export const MODEL_FORMAT_VERSION = 1;

export type ModelJson = { format: typeof MODEL_FORMAT; version: typeof MODEL_FORMAT_VERSION } & Model;

export function predict(model: Model, table: FeatureTable): Float64Array {
  return model.kind === "logistic" ? predictLogistic(model, table) : predictGbdt(model, table);
}

export function modelToJson(model: Model): ModelJson {
  return { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...model };
}

/** Reads the JSON form back, checking every field a prediction relies on (where: its path). */
export function modelFromJson(value: unknown): Model {
  const o = object(value, "model");
  if (o.format !== MODEL_FORMAT) throw new TrainError(`model.format: expected "${MODEL_FORMAT}"`);
  if (o.version !== MODEL_FORMAT_VERSION) {
    throw new TrainError(
      `model.version: ${String(o.version)} is not supported (expected ${MODEL_FORMAT_VERSION})`,
    );
  }
  const featureNames = stringArray(o.featureNames, "model.featureNames");
  const p = featureNames.length;
  if (p === 0) throw new TrainError("model.featureNames: empty");
  const { format: _f, version: _v, ...rest } = o;
  if (o.kind === "logistic") {
    numberArray(o.means, "model.means", p);
    const sds = numberArray(o.sds, "model.sds", p);
    if (sds.some((sd) => !(sd > 0))) throw new TrainError("model.sds: every sd must be > 0");
    numberArray(o.coefficients, "model.coefficients", p);
    finite(o.intercept, "model.intercept");
    object(o.fit, "model.fit");
    object(o.params, "model.params");
    return rest as unknown as LogisticModel;
  }
  if (o.kind === "gbdt") {
    finite(o.baseScore, "model.baseScore");
    if (!Array.isArray(o.trees)) throw new TrainError("model.trees: expected an array");
    o.trees.forEach((t, k) => {
      checkTree(t, `model.trees[${k}]`, p);
    });
    object(o.fit, "model.fit");
    object(o.params, "model.params");
    return rest as unknown as GbdtModel;
  }
  throw new TrainError(`model.kind: expected "logistic" or "gbdt"`);
}

function checkTree(value: unknown, where: string, p: number): void {
  const t = object(value, where) as Partial<Record<keyof GbdtTree, unknown>>;
  const feature = numberArray(t.feature, `${where}.feature`);
  const size = feature.length;
  if (size === 0) throw new TrainError(`${where}: no node`);
  numberArray(t.threshold, `${where}.threshold`, size);
  numberArray(t.value, `${where}.value`, size);
  numberArray(t.gain, `${where}.gain`, size);
  const left = numberArray(t.left, `${where}.left`, size);
  const right = numberArray(t.right, `${where}.right`, size);
  const missingLeft = numberArray(t.missingLeft, `${where}.missingLeft`, size);
  feature.forEach((f, node) => {
    if (f === -1) return;
    if (!(Number.isInteger(f) && f >= 0 && f < p))
      throw new TrainError(`${where}.feature[${node}]: no such feature`);
    // Children come after their parent: walking always ends at a leaf.
    for (const [name, child] of [
      ["left", left[node]!],
      ["right", right[node]!],
    ] as const) {
      if (!(Number.isInteger(child) && child > node && child < size)) {
        throw new TrainError(`${where}.${name}[${node}]: not a later node of this tree`);
      }
    }
    if (missingLeft[node] !== 0 && missingLeft[node] !== 1)
      throw new TrainError(`${where}.missingLeft[${node}]: 0 or 1`);
  });
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TrainError(`${where}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function finite(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new TrainError(`${where}: expected a finite number`);
  return value;
}

function numberArray(value: unknown, where: string, length?: number): number[] {
  if (!Array.isArray(value)) throw new TrainError(`${where}: expected an array`);
  if (length !== undefined && value.length !== length) {
    throw new TrainError(`${where}: ${value.length} entries, expected ${length}`);
  }
  value.forEach((v, k) => {
    finite(v, `${where}[${k}]`);
  });
  return value as number[];
}

function stringArray(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw new TrainError(`${where}: expected an array`);
  value.forEach((v, k) => {
    if (typeof v !== "string" || v === "")
      throw new TrainError(`${where}[${k}]: expected a non-empty string`);
  });
  return value as string[];
}
