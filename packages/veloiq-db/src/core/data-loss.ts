import type { Column, SchemaDifference } from '@mikro-orm/postgresql';

/**
 * The changes of a diff that lose data, or may, or break code that reads the old name: what
 * `migrate` says out loud before anyone runs the revision. Each names the squawk rule that flags
 * its statement, so the revision's acknowledgement marker names the same rule.
 */
export interface DataLoss {
  rule: 'ban-drop-table' | 'ban-drop-column' | 'changing-column-type' | 'renaming-column';
  /** `table` or `schema.table` as the diff names it. */
  table: string;
  column?: string;
  /** What happens, in words: `drops column article.favorites_count`. */
  what: string;
  /** Rows in the table (dropped table), or rows holding a value (dropped column), on the database diffed against. */
  rows?: number;
}

const INTEGER_RANK: Record<string, number> = { int2: 1, smallint: 1, int4: 2, int: 2, integer: 2, int8: 3, bigint: 3 };
const baseOf = (type: string) =>
  type
    .replace(/\(.*\)/, '')
    .trim()
    .toLowerCase();
const TEXTUAL = new Set(['text', 'varchar', 'character varying', 'char', 'character', 'bpchar']);

/** Whether a type change can hold every old value: a longer length, a larger integer, varchar to text. */
function widens(from: Column, to: Column): boolean {
  const [a, b] = [baseOf(from.type), baseOf(to.type)];
  if (a === b) {
    const larger = (x?: number, y?: number) => y === undefined || (x !== undefined && y >= x);
    return larger(from.length, to.length) && larger(from.precision, to.precision) && larger(from.scale, to.scale);
  }
  if (a in INTEGER_RANK && b in INTEGER_RANK) return INTEGER_RANK[b] >= INTEGER_RANK[a];
  return TEXTUAL.has(a) && b === 'text';
}

const typeText = (c: Column) => (c.length !== undefined && !/\(/.test(c.type) ? `${c.type}(${c.length})` : c.type);

export function lossesOf(diff: SchemaDifference, tableName: (name: string, schema?: string) => string): DataLoss[] {
  const losses: DataLoss[] = [];
  for (const t of Object.values(diff.removedTables)) {
    const table = tableName(t.name, t.schema);
    losses.push({ rule: 'ban-drop-table', table, what: `drops table ${table}` });
  }
  for (const t of Object.values(diff.changedTables)) {
    const table = tableName(t.name);
    for (const c of Object.values(t.removedColumns)) losses.push({ rule: 'ban-drop-column', table, column: c.name, what: `drops column ${table}.${c.name}` });
    for (const [from, c] of Object.entries(t.renamedColumns)) {
      losses.push({ rule: 'renaming-column', table, column: from, what: `renames column ${table}.${from} to ${c.name}: code that still reads ${from} fails` });
    }
    for (const c of Object.values(t.changedColumns)) {
      if (!c.changedProperties.has('type') && !c.changedProperties.has('length') && !c.changedProperties.has('precision') && !c.changedProperties.has('scale'))
        continue;
      if (widens(c.fromColumn, c.column)) continue;
      losses.push({
        rule: 'changing-column-type',
        table,
        column: c.column.name,
        what: `narrows column ${table}.${c.column.name} from ${typeText(c.fromColumn)} to ${typeText(c.column)}: values that do not fit are cut or make the upgrade fail`,
      });
    }
  }
  return losses;
}

/** `schema.table` or `table` as a quoted identifier. */
export const quotedTable = (table: string) =>
  table
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');

/** The note an acknowledgement line carries: what the change loses, with the row count when known. */
export function lossNote(loss: DataLoss): string {
  if (loss.rows === undefined) return loss.what;
  if (loss.rule === 'ban-drop-table') return `${loss.what} (${loss.rows} row${loss.rows === 1 ? '' : 's'})`;
  if (loss.rule === 'ban-drop-column') return `${loss.what} (values in ${loss.rows} row${loss.rows === 1 ? '' : 's'})`;
  return `${loss.what} (${loss.rows} row${loss.rows === 1 ? '' : 's'} in the table)`;
}
