import { howToAcknowledge, type LintResult } from './lint';
import { lossNote, type DataLoss } from '../core/data-loss';
import type { LintFinding } from '../core/lint-findings';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `db-lint`'s text: each finding under its revision and statement, then what to do. */
export function lintText(r: LintResult): string[] {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(
      `${f.file} (revision ${f.revision}) ${f.direction}(), statement ${f.index}: ${f.rule}${f.acknowledged ? ' (acknowledged)' : ''}`,
      `  ${f.statement.split('\n').join('\n  ')}`,
      `  ${f.message}${f.help ? ` ${f.help}` : ''}`,
    );
    if (!f.acknowledged) lines.push(`  If it is intended: ${howToAcknowledge(f)}.`);
  }
  for (const s of r.skipped) lines.push(`Not linted: revision ${s.revision}: ${s.reason}`);
  const open = r.findings.filter((f) => !f.acknowledged);
  const linted = `Linted ${plural(r.revisions, 'revision')}${r.rules.config ? ` with ${r.rules.config}` : ''}`;
  if (r.findings.length === 0) lines.push(`${linted}: no findings.`);
  else if (open.length === 0) lines.push(`${linted}: ${plural(r.findings.length, 'finding')}, all acknowledged.`);
  else {
    const revisions = new Set(open.map((f) => f.revision));
    lines.push(
      `${linted}: ${plural(open.length, 'unacknowledged finding')} in ${plural(revisions.size, 'revision')} (${[...revisions].join(', ')}). ` +
        `Make each change safe, or acknowledge it in its revision with a '// veloiq-lint: accept <rule>' line.`,
    );
  }
  return lines;
}

/** What `migrate` says about a new revision: what it loses, then what the linter finds. */
export function reviewText(losses: DataLoss[], findings: LintFinding[]): string[] {
  const lines = losses.map((loss) => `DATA LOSS: this revision ${lossNote(loss)}.`);
  if (losses.length > 0) {
    lines.push(
      `The revision acknowledges ${losses.length === 1 ? 'it' : 'each'} with a '// veloiq-lint: accept <rule>' line; delete a line if that loss is not intended ('veloiq db lint' then fails until the change is made safe).`,
    );
  }
  for (const f of findings) {
    lines.push(`Lint ${f.direction}(), statement ${f.index}: ${f.rule}${f.acknowledged ? ' (acknowledged)' : ''}: ${f.message}${f.help ? ` ${f.help}` : ''}`);
  }
  const open = findings.filter((f) => !f.acknowledged);
  if (open.some((f) => f.rule === 'require-concurrent-index-creation')) {
    lines.push(
      'To build its indexes without blocking writes, delete the revision and run migrate again with --concurrent-indexes (they go in a revision of their own, outside a transaction).',
    );
  }
  if (open.length > 0)
    lines.push(
      `'veloiq db lint' fails on ${open.length === 1 ? 'this finding' : `these ${open.length} findings`} until the revision is made safe or acknowledges ${open.length === 1 ? 'it' : 'them'}.`,
    );
  return lines;
}
