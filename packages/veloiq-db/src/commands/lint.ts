import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import {
  acknowledgementLine,
  lintFile,
  mapFindings,
  parseAcknowledgements,
  ruleSelection,
  type Direction,
  type LintFile,
  type LintFinding,
} from '../core/lint-findings';
import { compileAhead } from '../core/loader';
import { openOffline } from '../core/offline';
import type { Database } from '../core/orm';
import { shownPath } from '../core/paths';
import { ancestors, type Target } from '../core/revision-graph';
import { listRevisions, positionOf, resolveRevision, type Revision } from '../core/revisions';
import { isTransactional, runRevisions } from '../core/runner';
import { runSquawk } from '../core/squawk';
import { prepare, withEnvironment, type CommandOptions } from './session';

export interface LintOptions extends CommandOptions {
  /** Which revisions: none for all, an id (`head`, a prefix...) for one, `<from>:<to>` for those after `from` up to `to`. */
  revision?: string | number;
  /** squawk rules to turn off, besides the defaults (a list, or one comma-separated string). */
  exclude?: string[] | string;
  /** squawk rules to turn on, the defaults among them. */
  include?: string[] | string;
}

export interface LintResult {
  kind: 'lint';
  /** True when every finding is acknowledged. */
  ok: boolean;
  /** Revisions linted. */
  revisions: number;
  findings: LintFinding[];
  /** Revisions whose SQL cannot be known without a database (their `up()` or `down()` reads it). */
  skipped: { revision: string; reason: string }[];
  /** The squawk configuration used: a `.squawk.toml`, or the rules turned off and on. */
  rules: { config?: string; exclude: string[]; include: string[] };
}

const listOf = (value: string[] | string | undefined): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((item) => String(item).split(','))
    .map((rule) => rule.trim())
    .filter(Boolean);

/** The revisions a range names, oldest first. */
export function revisionsInRange(revisions: Revision[], spec: string | number | undefined): Revision[] {
  if (spec === undefined || String(spec).trim() === '') return revisions;
  // Every revision counts as applied, so `-1` is the one before head, as in `history`.
  const position = positionOf(
    revisions,
    revisions.map((r) => r.name),
  );
  const text = String(spec).trim();
  const colon = text.indexOf(':');
  if (colon === -1) return resolveRevision(text, position).revisions;
  // A range is Alembic's: what `to` needs that `from` does not have (`from` itself excluded).
  const ids = (target: Target<Revision>) =>
    ancestors(
      position.graph,
      target.revisions.map((r) => r.id),
    );
  const below = text.slice(0, colon).trim() ? ids(resolveRevision(text.slice(0, colon), position)) : new Set<string>();
  const upTo = text.slice(colon + 1).trim() ? ids(resolveRevision(text.slice(colon + 1), position)) : new Set(revisions.map((r) => r.id));
  return revisions.filter((r) => upTo.has(r.id) && !below.has(r.id));
}

/**
 * Each revision's statements in one direction, rendered offline by the runner itself (as `--sql`
 * renders them). A revision that needs the database to know its SQL is skipped, with its reason.
 */
async function render(db: Database, revision: Revision, direction: Direction, sink: string[]): Promise<string | undefined> {
  sink.length = 0;
  try {
    await runRevisions(db, [revision], direction, undefined);
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
}

/** The `.squawk.toml` that replaces the default rules: in the project's backend/ or root. */
function squawkConfigOf(projectRoot: string, backendDir: string): string | undefined {
  return [backendDir, projectRoot].map((dir) => join(dir, '.squawk.toml')).find((path) => existsSync(path));
}

/**
 * Lints the SQL of each revision's `up()` and `down()` with squawk, offline: the statements are
 * what `upgrade --sql` would write, no database is opened. Findings a revision acknowledges (see
 * `acknowledgementLine`) are reported but do not fail.
 */
export function lint(options: LintOptions): Promise<LintResult> {
  return withEnvironment(options.env, () => lintRevisions(options));
}

async function lintRevisions(options: LintOptions): Promise<LintResult> {
  const sink: string[] = [];
  const db = await openOffline(prepare(options), { statement: (sql) => void sink.push(sql), gap: () => undefined });
  const show = (path: string) => shownPath(path, options.projectRoot, options.cwd);
  const folder = mkdtempSync(join(tmpdir(), 'veloiq-lint-'));
  try {
    const revisions = revisionsInRange(listRevisions(db.migrationsDir), options.revision);
    const compiling = compileAhead(revisions.map((r) => r.path));
    const files: LintFile[] = [];
    const skipped: LintResult['skipped'] = [];
    try {
      for (const [n, revision] of revisions.entries()) {
        await compiling.ready(revision.path);
        const transactional = isTransactional(db, revision);
        for (const direction of ['up', 'down'] as const) {
          const problem = await render(db, revision, direction, sink);
          if (problem) {
            skipped.push({ revision: revision.id, reason: problem });
            break;
          }
          if (sink.length === 0) continue;
          const file = lintFile(`${String(n).padStart(5, '0')}_${revision.id}.${direction}.sql`, revision, direction, transactional, sink);
          writeFileSync(join(folder, file.name), file.text);
          files.push(file);
        }
      }
    } finally {
      compiling.stop();
    }
    const { findings, rules } = lintFiles(files, db.project, { ...options, folder }, show);
    return {
      kind: 'lint',
      ok: findings.every((f) => f.acknowledged),
      revisions: revisions.length,
      findings,
      skipped,
      rules,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await db.close();
  }
}

/**
 * Lints rendered revision files (already written to the folder squawk runs in) with the
 * project's rules: its `.squawk.toml`, or the defaults with its `exclude`/`include`. Each
 * finding is marked acknowledged when its revision file accepts its rule.
 */
export function lintFiles(
  files: LintFile[],
  project: { root: string; backendDir: string },
  options: Pick<LintOptions, 'exclude' | 'include'> & { folder: string },
  show: (path: string) => string,
  acknowledgements: (path: string) => Set<string> = (path) => parseAcknowledgements(readFileSync(path, 'utf8')),
): { findings: LintFinding[]; rules: LintResult['rules'] } {
  const configPath = squawkConfigOf(project.root, project.backendDir);
  const rules = ruleSelection({ exclude: listOf(options.exclude), include: listOf(options.include) });
  const raw = runSquawk({ cwd: options.folder, files: files.map((f) => f.name), ...rules, configPath });
  const accepted = new Map<string, Set<string>>();
  const acknowledged = (path: string) => {
    if (!accepted.has(path)) accepted.set(path, acknowledgements(path));
    return accepted.get(path)!;
  };
  return {
    findings: mapFindings(raw, files, acknowledged, show),
    rules: configPath ? { config: show(configPath), exclude: [], include: [] } : rules,
  };
}

/** The line that tells the author how to accept a finding they mean to keep. */
export function howToAcknowledge(finding: LintFinding): string {
  return `add the line '${acknowledgementLine(finding.rule)}' to ${finding.file}`;
}
