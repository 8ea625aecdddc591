/** SQL text helpers for the views: literals and identifiers are quoted here, and nowhere else. */

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A cut-off day as a DATE literal; anything but YYYY-MM-DD is refused so no text reaches the SQL. */
export function sqlDay(day: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))
    throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return `DATE '${day}'`;
}

/** A finite number as SQL text (refuses NaN and infinities, which DuckDB would read as identifiers). */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(value);
}

/**
 * The slug of an IRI for a column name: its last path segment (or fragment), lower-cased, anything
 * but [a-z0-9] as `_`. `http://adlnet.gov/expapi/verbs/completed` → `completed`.
 */
export function iriSlug(iri: string): string {
  const trimmed = iri.replace(/[/#]+$/, "");
  const tail = trimmed.slice(Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("#")) + 1) || trimmed;
  const slug = tail
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return slug || "x";
}

/**
 * Stable column names for a set of IRIs: sorted by IRI, each named `{prefix}{slug}`; two IRIs with
 * the same slug get `_2`, `_3`… in IRI order, so the names depend only on the set, not on row order.
 */
export function iriColumns(prefix: string, iris: Iterable<string>): Array<{ iri: string; column: string }> {
  const sorted = [...new Set(iris)].sort();
  const taken = new Set<string>();
  return sorted.map((iri) => {
    const base = `${prefix}${iriSlug(iri)}`;
    let column = base;
    for (let n = 2; taken.has(column); n++) column = `${base}_${n}`;
    taken.add(column);
    return { iri, column };
  });
}
