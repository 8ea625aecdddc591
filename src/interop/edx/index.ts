/**
 * The Open edX converter (format `edx`): tracking-log events (server and browser, web and mobile) into the
 * xAPI statements Open edX's event-routing-backends (ERB) produces for them, statement ids included. It
 * owns ERB's event registry (which events map and how), the Python details its output depends on, and the
 * configuration standing in for ERB's LMS lookups. Events ERB does not map are skipped, named.
 */
import {
  ConversionError,
  type Format,
  type Outcome,
  outcomeOf,
  type SourceRecord,
  Unmapped,
  type XapiStatement,
} from "../converter.js";
import { type EdxConfig, type ResolvedConfig, resolveConfig } from "./config.js";
import "./completion.js";
import "./enrollment.js";
import "./exam.js";
import "./forum.js";
import "./grading.js";
import "./navigation.js";
import "./problem.js";
import { handlers } from "./registry.js";
import { EventScope } from "./statement.js";
import "./video.js";
import { ActivityType, Extension, Verb } from "./vocabulary.js";

export type { EdxConfig } from "./config.js";
export { deriveAnonymousId } from "./config.js";
export { erbUuid5 } from "./statement.js";

/** The event names ERB's xAPI processor registers, each mapped here. */
export const edxEventNames: readonly string[] = [...handlers.keys()].sort();

/** A tracking.log line's shape made into the one ERB's live path receives (ERB's event_log_parser). */
function fromTrackingLog(event: Record<string, unknown>): Record<string, unknown> {
  const normalized = { ...event };
  if ("event" in event && !("data" in event)) {
    let data = event.event;
    if (typeof data === "string") {
      try {
        data = JSON.parse(data);
      } catch {
        // Not JSON (a browser event's query string): kept as the text it is, as ERB does.
      }
    }
    normalized.data = data;
  }
  if (!("timestamp" in event) && "time" in event) normalized.timestamp = event.time;
  return normalized;
}

/** Converts one Open edX event into its statements (one, or a problem group and its questions). */
export function convertEdxEvent(value: unknown, config: ResolvedConfig): XapiStatement[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConversionError("expected an Open edX event (a JSON object)");
  }
  let event = value as Record<string, unknown>;
  if (config.trackingLog) event = fromTrackingLog(event);
  // ERB dispatches on `name`; tracking.log lines also carry it as `event_type`.
  const name = event.name ?? event.event_type;
  if (name === undefined || name === null || name === "") {
    throw new ConversionError("missing event name (neither name nor event_type is set)", "event_type");
  }
  if (typeof name !== "string") {
    throw new ConversionError(`expected the event name as a string, got ${JSON.stringify(name)}`, "name");
  }
  const handler = handlers.get(name);
  if (handler === undefined) {
    throw new Unmapped(`event-routing-backends maps no xAPI statement for the event "${name}"`);
  }
  const statements = handler(new EventScope(event, name, config));
  return Array.isArray(statements) ? statements : [statements];
}

/** A converter bound to a configuration, for callers that convert events one by one. */
export function edxConverter(config: EdxConfig | unknown): (event: unknown) => XapiStatement[] {
  const resolved = resolveConfig(config);
  return (event) => convertEdxEvent(event, resolved);
}

/**
 * `perRecord`'s stream of outcomes without an async generator of its own: each outcome is the source's
 * next record converted in the callback of its promise, which spares a generator's extra awaits per event.
 */
class Outcomes implements AsyncIterableIterator<Outcome> {
  private readonly source: AsyncIterator<SourceRecord>;
  private finished = false;

  constructor(
    records: AsyncIterable<SourceRecord>,
    private readonly convert: (value: unknown) => XapiStatement[],
  ) {
    this.source = records[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Outcome>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    return this.source.next().then(
      (step) => {
        if (step.done) {
          this.finished = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: outcomeOf(this.convert, step.value) };
      },
      (error: unknown) => {
        this.finished = true;
        throw error;
      },
    );
  }

  /** The consumer stops early: the source is closed as a `for await` over it would be. */
  async return(): Promise<IteratorResult<Outcome>> {
    if (!this.finished) {
      this.finished = true;
      await this.source.return?.();
    }
    return { done: true, value: undefined };
  }
}

export const edxFormat: Format = {
  name: "edx",
  description:
    "Open edX tracking-log events to the xAPI statements of event-routing-backends (config: platformUrl, transformerVersion, courseNames, anonymousIds, …)",
  converter(config) {
    const resolved = resolveConfig(config);
    const convert = (value: unknown) => convertEdxEvent(value, resolved);
    return { run: (records) => new Outcomes(records, convert) };
  },
};

export const edxVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: [...new Set(Object.values(Verb))],
  activityTypes: [...new Set(Object.values(ActivityType))],
  extensions: [...new Set(Object.values(Extension))],
};
