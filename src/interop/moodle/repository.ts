/**
 * The rows an event refers to, as the JSON export form carries them (`data: { <table>: [rows] }`), with
 * the look-ups logstore_xapi's transformers make (`read_record_by_id`, `read_record`, `read_records`).
 * Moodle compares ids loosely (a database driver may return "1" for 1), so values compare as strings.
 */
import { ConversionError } from "../converter.js";

export type Row = Record<string, unknown>;

const same = (a: unknown, b: unknown): boolean =>
  a !== undefined && a !== null && b !== undefined && b !== null && String(a) === String(b);

/** A look-up a transformer made: the database reader fetches exactly these rows. */
export interface Lookup {
  table: string;
  where: Row;
}

export class Repository {
  constructor(
    private readonly tables: Record<string, Row[]>,
    /** Told of every look-up, found or not (the database reader's way to learn what an event needs). */
    private readonly onLookup?: (lookup: Lookup) => void,
  ) {}

  rows(table: string): Row[] {
    return this.tables[table] ?? [];
  }

  findById(table: string, id: unknown): Row | undefined {
    this.onLookup?.({ table, where: { id } });
    return this.rows(table).find((row) => same(row.id, id));
  }

  /** A row by id; its absence makes the record unconvertible, as it makes the plugin throw. */
  byId(table: string, id: unknown): Row {
    const row = this.findById(table, id);
    if (!row) throw new ConversionError(`no ${table} row with id ${String(id)}`, `data.${table}`);
    return row;
  }

  find(table: string, where: Row): Row | undefined {
    this.onLookup?.({ table, where });
    return this.rows(table).find((row) =>
      Object.entries(where).every(([key, value]) => same(row[key], value)),
    );
  }

  one(table: string, where: Row): Row {
    const row = this.find(table, where);
    if (!row) {
      const condition = Object.entries(where)
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(", ");
      throw new ConversionError(`no ${table} row with ${condition}`, `data.${table}`);
    }
    return row;
  }

  all(table: string, where: Row = {}): Row[] {
    this.onLookup?.({ table, where });
    return this.rows(table).filter((row) =>
      Object.entries(where).every(([key, value]) => same(row[key], value)),
    );
  }
}
