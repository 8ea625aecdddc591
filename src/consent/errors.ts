/** A refusal of the consent registry: an HTTP-like status and a message meant for the caller. */
export class ConsentError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ConsentError";
  }
}
