/**
 * ERB's `XApiTransformersRegistry` as a Map from event name to handler, filled once at load by the
 * transformer modules, so that dispatch is one lookup per event.
 */
import type { XapiStatement } from "../converter.js";
import type { EventScope } from "./statement.js";

export type Handler = (scope: EventScope) => XapiStatement | XapiStatement[];

export const handlers = new Map<string, Handler>();

export function register(names: readonly string[], handler: Handler): void {
  for (const name of names) handlers.set(name, handler);
}
