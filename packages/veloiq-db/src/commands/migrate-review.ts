import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lossNote, quotedTable, type DataLoss } from '../core/data-loss';
import { acknowledgementLine, lintFile, type LintFinding } from '../core/lint-findings';
import type { Database } from '../core/orm';
import type { SchemaDiff } from '../core/schema-diff';
import { lintFiles } from './lint';

export interface RevisionReview {
  /** What the new revision loses, with row counts from the database it was diffed against. */
  losses: DataLoss[];
  /** squawk's findings on its up() and down(), as `db-lint` will report them. */
  findings: LintFinding[];
  /** The acknowledgement lines written into the file, one per rule of a change that loses data. */
  acknowledgements: string[];
}

/** Rows in the table (dropped table, narrowed column) or rows holding a value (dropped column). */
async function countRows(db: Database, loss: DataLoss): Promise<number | undefined> {
  const counted = loss.rule === 'ban-drop-column' ? `count("${loss.column!.replace(/"/g, '""')}")` : 'count(*)';
  try {
    const [row] = await db.orm.em.getConnection().execute<{ n: string }[]>(`select ${counted} as n from ${quotedTable(loss.table)}`);
    return Number(row.n);
  } catch {
    // A table the database does not have (yet) has no rows to lose.
    return undefined;
  }
}

/**
 * What `migrate` says about a revision before writing it: each change that loses data and how
 * much, squawk's findings, and the acknowledgement lines that let `db-lint` pass on the losses
 * the author keeps (deleting a line makes it fail again).
 */
export async function reviewRevision(
  db: Database,
  diff: Pick<SchemaDiff, 'up' | 'down' | 'losses'>,
  revision: { id: string; path: string },
  show: (path: string) => string,
  transactional = true,
): Promise<RevisionReview> {
  const losses = await Promise.all(diff.losses.map(async (loss) => ({ ...loss, rows: await countRows(db, loss) })));
  const byRule = new Map<string, string[]>();
  for (const loss of losses) byRule.set(loss.rule, [...(byRule.get(loss.rule) ?? []), lossNote(loss)]);
  const acknowledgements = [...byRule].map(([rule, notes]) => acknowledgementLine(rule, notes.join('; ')));
  const folder = mkdtempSync(join(tmpdir(), 'veloiq-migrate-'));
  try {
    const files = (['up', 'down'] as const).map((direction) =>
      lintFile(`${direction}.sql`, revision, direction, transactional, diff[direction].filter(Boolean)),
    );
    for (const file of files) writeFileSync(join(folder, file.name), file.text);
    const accepted = new Set(byRule.keys());
    const { findings } = lintFiles(
      files.filter((f) => f.statements.length > 0),
      db.project,
      { folder },
      show,
      () => accepted,
    );
    return { losses, findings, acknowledgements };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
