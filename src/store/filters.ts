/**
 * The WHERE clause of a registry's list: columns equal to a value when one is given, and columns
 * within a set. Column names come from the caller's code, never from a request; values are bound.
 */
export function whereSql(
  equal: Readonly<Record<string, string | undefined>>,
  within: Readonly<Record<string, readonly string[] | undefined>> = {},
): { sql: string; params: string[] } {
  const where: string[] = [];
  const params: string[] = [];
  for (const [column, value] of Object.entries(equal))
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  for (const [column, values] of Object.entries(within))
    if (values !== undefined) {
      where.push(`${column} IN (${values.map(() => "?").join(", ")})`);
      params.push(...values);
    }
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}
