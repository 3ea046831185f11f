import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from './errors';
import type { RevisionLanguage } from './migration-options';

export interface RevisionSource {
  id: string;
  /** The user's message: the revision's description. */
  message: string;
  up: string[];
  down: string[];
  created?: Date;
  /** `// veloiq-lint: accept <rule>` lines for the changes that lose data (see lint-findings.ts). */
  acknowledgements?: string[];
  /** False for a revision that must run outside a transaction (`create index concurrently`). */
  transactional?: boolean;
  /** Parent ids; empty starts a new root (written `Parent: base`). */
  parents: string[];
  /** Branch labels (`--branch-label`). */
  labels?: string[];
}

/**
 * The message as one line that can sit in a doc comment: whitespace (newlines included) and
 * control characters (a NUL, a terminal escape that `history` would replay) become single
 * spaces, and a comment end is escaped the way `descriptionOf` reads it back.
 */
export function headerLine(message: string): string {
  return message
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim()
    .replace(/\*\//g, '*\\/');
}

/** The description `history` will read back from the header line of a message. */
export function descriptionLine(message: string): string {
  return headerLine(message).replace(/\*\\\//g, '*/');
}

/** A SQL statement as a template literal body: backslashes, backticks and `${` escaped. */
function templateBody(sql: string): string {
  return sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

function body(statements: string[]): string {
  if (statements.length === 0) return '    // nothing to undo';
  return statements.map((sql) => (sql ? `    this.addSql(\`${templateBody(sql)}\`);` : '')).join('\n');
}

/**
 * The text of a revision file, in the format every revision in `backend/migrations/` shares:
 * TypeScript, or CommonJS JavaScript when the config's `migrations.emit` is `'js'` or `'cjs'`
 * (the same text; only the file's extension differs).
 */
export function renderRevision(
  { id, message, up, down, created = new Date(), acknowledgements = [], transactional = true, parents, labels = [] }: RevisionSource,
  emit: RevisionLanguage = 'ts',
): string {
  const stamp = created
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const js = emit !== 'ts';
  return [
    '/**',
    ` * ${headerLine(message)}`,
    ' *',
    ` * Revision: ${id}`,
    // Read by the tool without running the file (see listRevisions): the graph of revisions.
    ` * Parent: ${parents.length > 0 ? parents.join(', ') : 'base'}`,
    ...(labels.length > 0 ? [` * Branch labels: ${labels.join(', ')}`] : []),
    ` * Created: ${stamp}`,
    ' */',
    ...(js ? ["'use strict';", "const { Migration } = require('@mikro-orm/migrations');"] : ["import { Migration } from '@mikro-orm/migrations';"]),
    '',
    ...(acknowledgements.length
      ? [
          '// This revision loses data. Each line below accepts one kind of change for `veloiq db lint`;',
          '// delete a line if that loss is not intended, and the lint fails until the change is made safe.',
          ...acknowledgements,
          '',
        ]
      : []),
    `${js ? '' : 'export '}class Migration_${id} extends Migration {`,
    ...(transactional
      ? []
      : [
          '  // Concurrent index builds are refused inside a transaction: this revision runs outside one,',
          '  // statement by statement, and its statements are safe to repeat if a run stops half-way.',
          js ? '  isTransactional() {' : '  override isTransactional(): boolean {',
          '    return false;',
          '  }',
          '',
        ]),
    js ? '  async up() {' : '  override async up(): Promise<void> {',
    body(up),
    '  }',
    '',
    js ? '  async down() {' : '  override async down(): Promise<void> {',
    body(down),
    '  }',
    '}',
    '',
    ...(js ? [`exports.Migration_${id} = Migration_${id};`, ''] : []),
  ].join('\n');
}

/** Throws the one-line error for a migrations folder we cannot write into. */
function unwritable(dir: string, shown: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'read-only file system'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'it is not a folder'
          : (code ?? String(error));
  throw new UserError(
    `Cannot write to the migrations folder ${shown} (${reason}). Make it a writable folder and run 'veloiq db migrate' again; nothing was written.`,
  );
}

/** Fails early, before any work, when the migrations folder cannot take a new file. */
export function assertWritableFolder(dir: string, shown: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) unwritable(dir, shown, Object.assign(new Error(), { code: 'ENOTDIR' }));
  const probe = join(dir, `.veloiq-write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
  } catch (error) {
    unwritable(dir, shown, error);
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Writes a revision file whole or not at all: the text goes to a hidden temporary file in the
 * same folder, then is renamed into place (a rename within one folder is atomic).
 */
export function writeRevisionFile(path: string, content: string, shownDir: string): void {
  const dir = dirname(path);
  const temporary = join(dir, `.veloiq-${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    // One a killed run of the same pid left behind is this run's to replace.
    rmSync(temporary, { force: true });
    writeFileSync(temporary, content, { flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    unwritable(dir, shownDir, error);
  }
}
