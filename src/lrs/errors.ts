import type { Problem } from "../xapi/index.js";

/** An xAPI request the LRS refuses, with the HTTP status the specification gives for it. */
export class LrsError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 429 | 500 | 503,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = "LrsError";
  }
}

export function badRequest(message: string, problems: Problem[] = []): LrsError {
  return new LrsError(400, message, problems);
}
