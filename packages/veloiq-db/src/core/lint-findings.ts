/**
 * The pure half of `db-lint`: which squawk rules apply to migrations that run on live tables,
 * the SQL files squawk reads (one per revision and direction, statements at known lines), how a
 * squawk finding maps back to its revision and statement, and the acknowledgement marker an
 * author keeps in a revision file to accept a finding.
 */

export type Direction = 'up' | 'down';

/**
 * Rules off by default: style advice about column types (MikroORM picks `int`, `serial`,
 * `varchar(n)` from the entities; the advice applies to every new table, not to a change that
 * risks a live one) and timeouts the runner does not set per statement. Anything else squawk
 * checks by default stays on: destructive, locking and backward-incompatible changes.
 */
export const DEFAULT_EXCLUDED_RULES = [
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
  'prefer-text-field',
  'prefer-timestamptz',
  'ban-char-field',
  'require-lock-timeout',
  'require-statement-timeout',
] as const;

/**
 * Rules whose finding means the revision loses data (or may, as a narrowing type change does)
 * or breaks clients that still read the old name: `migrate` writes their acknowledgement into the
 * revision, and says out loud what they lose. In `down()` they are expected (a revert drops what
 * its `up()` added), so they are not reported there.
 */
export const DATA_LOSS_RULES = new Set([
  'ban-drop-column',
  'ban-drop-table',
  'ban-drop-database',
  'ban-truncate-cascade',
  'changing-column-type',
  'renaming-column',
  'renaming-table',
]);

/** The rules to pass squawk: defaults off, the project's own `exclude` added, its `include` back on. */
export function ruleSelection(options: { exclude?: string[]; include?: string[] }): { exclude: string[]; include: string[] } {
  const include = [...new Set(options.include ?? [])];
  const exclude = [...new Set([...DEFAULT_EXCLUDED_RULES, ...(options.exclude ?? [])])].filter((rule) => !include.includes(rule));
  return { exclude, include };
}

/** One revision's statements in one direction, as written to the file squawk reads. */
export interface LintFile {
  /** File name squawk reports (relative to the folder it runs in). */
  name: string;
  revision: { id: string; path: string };
  direction: Direction;
  transactional: boolean;
  statements: string[];
  /** The file's text. */
  text: string;
  /** 0-based line where each statement starts. */
  starts: number[];
  /** 0-based line after the last statement (COMMIT's, in a transactional file). */
  end: number;
}

/**
 * The SQL file for a revision's statements. A transactional revision is wrapped in
 * BEGIN/COMMIT, as the runner runs it, so squawk judges what is and is not allowed inside a
 * transaction (a concurrent index is not) by what really happens.
 */
export function lintFile(name: string, revision: LintFile['revision'], direction: Direction, transactional: boolean, statements: string[]): LintFile {
  const lines: string[] = transactional ? ['BEGIN;'] : [];
  const starts: number[] = [];
  const cleaned = statements.map((sql) => sql.trim().replace(/;\s*$/, ''));
  for (const sql of cleaned) {
    starts.push(lines.length);
    // A line break before `;`, so a statement that ends in a `--` comment cannot swallow it.
    lines.push(...`${sql}\n;`.split('\n'));
  }
  const end = lines.length;
  if (transactional) lines.push('COMMIT;');
  return { name, revision, direction, transactional, statements: cleaned, text: lines.join('\n') + '\n', starts, end };
}

/** What squawk's JSON reporter prints for each finding (the fields we read). */
export interface SquawkFinding {
  file: string;
  line: number;
  rule_name: string;
  message: string;
  help?: string | null;
}

export interface LintFinding {
  revision: string;
  /** The revision file, as shown to the user. */
  file: string;
  direction: Direction;
  /** 1-based position of the statement in the revision's `up()`/`down()`. */
  index: number;
  statement: string;
  rule: string;
  message: string;
  help?: string;
  /** True when the revision file carries the acknowledgement for this rule. */
  acknowledged: boolean;
}

const unquote = (name: string) => name.replace(/"/g, '').toLowerCase();
const CREATE_TABLE =
  /^\s*create\s+(?:(?:global\s+|local\s+)?(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;
const ALTER_TABLE = /^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;

/**
 * Whether a statement changes a table an earlier statement of the same file created: nothing
 * reads that table yet, so no rule about live tables applies (squawk knows this for indexes and
 * constraints, not for every `alter table`).
 */
function altersNewTable(file: LintFile, index: number): boolean {
  const altered = ALTER_TABLE.exec(file.statements[index]);
  if (!altered) return false;
  const table = unquote(altered[1]);
  return file.statements.slice(0, index).some((sql) => {
    const created = CREATE_TABLE.exec(sql);
    return created !== null && unquote(created[1]) === table;
  });
}

/** The statement a 0-based line of the file falls in, or -1 for the BEGIN/COMMIT lines. */
function statementAt(file: LintFile, line: number): number {
  if (line >= file.end) return -1;
  let found = -1;
  for (let i = 0; i < file.starts.length && file.starts[i] <= line; i++) found = i;
  return found;
}

/**
 * Maps squawk's findings to revisions and statements, drops what does not apply (data-loss rules
 * in `down()`, changes to a table created in the same revision), and marks the acknowledged ones.
 * `acknowledgedRules` gives each revision path's accepted rules; `show` turns a path into what the
 * user sees.
 */
export function mapFindings(
  findings: SquawkFinding[],
  files: LintFile[],
  acknowledgedRules: (path: string) => Set<string>,
  show: (path: string) => string = (path) => path,
): LintFinding[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  const order = new Map(files.map((file, i) => [file, i]));
  const mapped: (LintFinding & { order: number; line: number })[] = [];
  for (const finding of findings) {
    const file = byName.get(finding.file) ?? byName.get(finding.file.split(/[\\/]/).pop() ?? '');
    if (!file) continue;
    const index = statementAt(file, finding.line);
    if (file.direction === 'down' && DATA_LOSS_RULES.has(finding.rule_name)) continue;
    if (index >= 0 && altersNewTable(file, index)) continue;
    mapped.push({
      revision: file.revision.id,
      file: show(file.revision.path),
      direction: file.direction,
      index: index + 1,
      statement: index >= 0 ? file.statements[index] : '',
      rule: finding.rule_name,
      message: finding.message,
      ...(finding.help ? { help: finding.help } : {}),
      acknowledged: acknowledgedRules(file.revision.path).has(finding.rule_name),
      order: order.get(file)!,
      line: finding.line,
    });
  }
  // In revision order, up() before down(), as the files were given (squawk sorts by file name).
  return mapped.sort((a, b) => a.order - b.order || a.line - b.line).map(({ order: _order, line: _line, ...finding }) => finding);
}

/**
 * The acknowledgement marker: a line comment in the revision file,
 *
 *     // veloiq-lint: accept ban-drop-column -- drops "article"."favorites_count" (12 rows)
 *
 * naming one squawk rule the author accepts for this revision (everything after `--` is a note
 * for reviewers). It is read from the file's text, never by running it. `migrate` writes one for
 * each change that loses data; deleting the line makes `db-lint` fail on that change again.
 */
const MARKER = /^\s*\/\/\s*veloiq-lint:\s*accept\s+([a-z0-9-]+)/gim;

export function acknowledgementLine(rule: string, note?: string): string {
  return `// veloiq-lint: accept ${rule}${note ? ` -- ${note.replace(/\s+/g, ' ')}` : ''}`;
}

/** The rules a revision file's markers accept. */
export function parseAcknowledgements(text: string): Set<string> {
  return new Set([...text.matchAll(MARKER)].map((match) => match[1].toLowerCase()));
}
