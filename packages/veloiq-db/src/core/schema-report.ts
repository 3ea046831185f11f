import type { CheckResult } from '../commands/check';
import type { GenerateResult } from '../commands/generate';
import type { MigrateResult } from '../commands/migrate';
import type { SchemaChange } from './schema-diff';
import { reviewText } from './lint-report';

/** A one-line description of a change: `added column product.sku`. */
export function describeChange(change: SchemaChange): string {
  return `${change.action} ${change.object} ${change.name}${change.to ? ` to ${change.to}` : ''}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `1 table added; 2 columns added, 1 column dropped`: the short summary of a change set. */
export function summarize(changes: SchemaChange[]): string {
  const count = (object: SchemaChange['object'], action: SchemaChange['action']) =>
    changes.filter((c) => c.object === object && c.action === action).length;
  const tableOf = (c: SchemaChange) => c.name.slice(0, c.name.lastIndexOf('.'));
  const altered = new Set(changes.filter((c) => c.object !== 'table' && c.object !== 'schema' && c.object !== 'enum').map(tableOf));
  const parts: string[] = [];
  const tables = [
    ['added', count('table', 'added')],
    ['altered', altered.size],
    ['dropped', count('table', 'dropped')],
  ] as const;
  const tableText = tables.filter(([, n]) => n > 0).map(([what, n]) => `${plural(n, 'table')} ${what}`);
  if (tableText.length) parts.push(tableText.join(', '));
  const columns = (['added', 'altered', 'renamed', 'dropped'] as const)
    .map((action) => [action, count('column', action)] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${plural(n, 'column')} ${action}`);
  if (columns.length) parts.push(columns.join(', '));
  const indexes = (['added', 'altered', 'renamed', 'dropped'] as const)
    .map((action) => [action, count('index', action)] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${n === 1 ? 'index' : 'indexes'} ${action}`);
  if (indexes.length) parts.push(indexes.join(', '));
  return parts.join('; ') || plural(changes.length, 'change');
}

export function generateText(r: GenerateResult): string[] {
  const changed = r.files.filter((f) => f.changed);
  const what = `${plural(r.entities.length, 'entity').replace('entitys', 'entities')} (${r.entities.join(', ') || 'none'}) from ${plural(r.modules.length, 'module')}`;
  if (changed.length === 0) return [`Generated files are up to date: ${what}.`];
  return [...changed.map((f) => `Wrote ${f.path}`), `Generated ${what}; ${r.files.length - changed.length} file${r.files.length - changed.length === 1 ? '' : 's'} unchanged.`];
}

export function migrateText(r: MigrateResult): string[] {
  if (!r.revision) return ['No changes detected: the entities match the database at head. Nothing was written.'];
  return [
    ...r.changes.map((c) => `Detected ${describeChange(c)}`),
    `Generated ${r.revision.path} (${summarize(r.changes)})`,
    ...(r.indexRevision ? [`Generated ${r.indexRevision.path} (its indexes, built concurrently: runs outside a transaction)`] : []),
    ...reviewText(r.losses, r.findings),
    'Review it, then run: veloiq db upgrade',
  ];
}

export function checkText(r: CheckResult): string[] {
  if (r.ok) return [`No differences: the ${plural(r.revisions, 'revision')} in ${r.migrationsDir} hold every entity change.`];
  return [
    ...r.changes.map((c) => `Not in any revision: ${describeChange(c)}`),
    `The entities have changes that no revision holds (${summarize(r.changes)}). Run: veloiq db migrate -m "describe the change"`,
  ];
}
