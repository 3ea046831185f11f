import { SchemaComparator, type Column, type DatabaseTable } from '@mikro-orm/postgresql';

/**
 * Whether two column types, as written in DDL, name the same PostgreSQL type: `decimal` and
 * `numeric`, `varchar(50)` and `character varying(50)`, `timestamptz` and
 * `timestamp(6) with time zone` are one type to PostgreSQL, so altering one into the other
 * changes nothing.
 *
 * MikroORM's comparator compares types after its own normalisation
 * (`platform.normalizeColumnType`), which is built to be lossy (its own comment: "it can strip
 * some information like the length") and fills precision, scale and length from the property's
 * options instead of the type text: `@Property({ type: DecimalType, precision: 32, columnType:
 * 'decimal' })` (the DDL says `decimal`, PostgreSQL stores `numeric`) compares as numeric(32,0)
 * against the database's numeric, and `character varying(50)` reads as `character`. Each of these
 * made every `migrate` write an `alter column ... type` to the type the column already has. Here
 * only the text that would be written counts, and a difference that matters (numeric against
 * numeric(10,2), varchar(50) against varchar(80)) stays a difference.
 */
export function sameColumnType(a: string, b: string): boolean {
  const left = canonicalType(a);
  const right = canonicalType(b);
  return left !== undefined && left === right;
}

/**
 * PostgreSQL's own spellings of its built-in types (the "Aliases" column of the data types table
 * in its manual), keyed by every name the DDL may use, to the name `format_type` prints.
 */
const ALIASES: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  int8: 'bigint',
  bigint: 'bigint',
  int2: 'smallint',
  smallint: 'smallint',
  bool: 'boolean',
  boolean: 'boolean',
  decimal: 'numeric',
  numeric: 'numeric',
  float8: 'double precision',
  'double precision': 'double precision',
  float4: 'real',
  real: 'real',
  varchar: 'character varying',
  'character varying': 'character varying',
  char: 'character',
  character: 'character',
  bpchar: 'character',
  varbit: 'bit varying',
  'bit varying': 'bit varying',
  timestamptz: 'timestamp with time zone',
  'timestamp with time zone': 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  'timestamp without time zone': 'timestamp without time zone',
  timetz: 'time with time zone',
  'time with time zone': 'time with time zone',
  time: 'time without time zone',
  'time without time zone': 'time without time zone',
};

/** What a type without a modifier means, where PostgreSQL gives it one (`char` is `character(1)`). */
const DEFAULT_MODIFIER: Record<string, string> = {
  character: '1',
  bit: '1',
  // Without a precision these keep microseconds, which is precision 6; information_schema (which
  // MikroORM introspects) reports 6 for both spellings, so only this reading agrees with it.
  'timestamp with time zone': '6',
  'timestamp without time zone': '6',
  'time with time zone': '6',
  'time without time zone': '6',
};

/**
 * One spelling per PostgreSQL type: `DECIMAL( 10, 2 )` -> `numeric(10,2)`, `timestamptz(3)` ->
 * `timestamp with time zone(3)`. A type it does not know (an enum, a domain, an extension's type)
 * is only lower-cased and compared as written; undefined for text it cannot read, which never
 * counts as the same type.
 */
export function canonicalType(type: string): string | undefined {
  const text = type.trim().toLowerCase().replace(/\s+/g, ' ');
  // name, optional (modifier), optional words after it (`timestamp(3) with time zone`), optional [].
  const match = /^([a-z_][a-z0-9_ ."]*?) ?(?:\(([0-9 ,]+)\))? ?((?:with|without) time zone)? ?((?:\[\])*)$/.exec(text);
  if (!match) return undefined;
  const [, base, modifier, zone, array] = match;
  const written = zone ? `${base} ${zone}` : base;
  const name = ALIASES[written] ?? written;
  const args = modifier?.replace(/ /g, '') || DEFAULT_MODIFIER[name];
  return `${name}${args ? `(${args})` : ''}${array}`;
}

/**
 * MikroORM's comparator, told that a type change to the same PostgreSQL type is no change. It
 * decides in `diffColumn`, the one place every column comparison goes through, so a column it
 * keeps unchanged also keeps its foreign keys and indexes (MikroORM drops and re-adds those on a
 * column whose type changes) and plays its usual part in rename detection.
 */
export class SameTypeAwareComparator extends SchemaComparator {
  override diffColumn(fromColumn: Column, toColumn: Column, fromTable: DatabaseTable, tableName?: string): Set<string> {
    const changed = super.diffColumn(fromColumn, toColumn, fromTable, tableName);
    if (changed.has('type') && sameColumnType(fromColumn.type, toColumn.type)) changed.delete('type');
    return changed;
  }
}
