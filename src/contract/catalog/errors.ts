/** A refusal of the catalog, with the HTTP status it maps to and every problem found. */
export class CatalogError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "CatalogError";
  }
}
