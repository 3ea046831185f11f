import type { CheckResult } from './check';
import type { GenerateResult } from './generate';
import type { MigrateResult } from './migrate';
import { reviewText } from './lint-report';
import { describeChange, summarize } from '../core/schema-diff';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function generateText(r: GenerateResult): string[] {
  if (r.skipped) return [r.skipped];
  const changed = r.files.filter((f) => f.changed);
  const what = `${plural(r.entities.length, 'entity').replace('entitys', 'entities')} (${r.entities.join(', ') || 'none'}) from ${plural(r.modules.length, 'module')}`;
  if (changed.length === 0) return [`Generated files are up to date: ${what}.`];
  return [
    ...changed.map((f) => `Wrote ${f.path}`),
    `Generated ${what}; ${r.files.length - changed.length} file${r.files.length - changed.length === 1 ? '' : 's'} unchanged.`,
  ];
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
  if (r.ok)
    return [`No differences: the ${plural(r.revisions, 'revision')} in ${r.migrationsDir} ${r.revisions === 1 ? 'holds' : 'hold'} every entity change.`];
  return [
    ...r.changes.map((c) => `Not in any revision: ${describeChange(c)}`),
    `The entities have changes that no revision holds (${summarize(r.changes)}). Run: veloiq db migrate -m "describe the change"`,
  ];
}
