/**
 * A refusal of the agreements registry, with the HTTP status that says what kind it is: 400 a
 * malformed input, 403 a party that may not act, 404 nothing by that id, 409 a change the agreement's
 * state does not allow, 422 a signature that does not verify.
 */
export class AgreementError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = "AgreementError";
  }
}
