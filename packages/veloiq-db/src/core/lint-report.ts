import { howToAcknowledge, type LintResult } from '../commands/lint';

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
