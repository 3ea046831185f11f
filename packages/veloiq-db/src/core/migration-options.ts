import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from '@mikro-orm/core';

/** What `migrations.emit` may say: the languages revisions are written in, and their file extensions. */
const LANGUAGES = ['ts', 'js', 'cjs'] as const;

/**
 * MikroORM's own `migrations` options, as a config written for MikroORM sets them. Those the
 * runner and the revision writer honour (`tableName`, `path`/`pathTs`, `transactional`,
 * `allOrNothing`, `disableForeignKeys`, `emit`) need no word; each that conflicts with how
 * revisions work here gets one line saying what happens instead, so none is ignored silently.
 */
export function migrationOptionNotices(config: Options): string[] {
  const migrations = config.migrations ?? {};
  const notices: string[] = [];
  if (migrations.snapshot === true) {
    notices.push('migrations.snapshot is not used: revisions are diffed against the database at head, which holds what a snapshot would.');
  }
  if (migrations.fileName) {
    notices.push('migrations.fileName is not used: revision files are named <id>_<message>, so that ids sort in order and resolve by prefix.');
  }
  if (migrations.glob) {
    notices.push(`migrations.glob is not used: every .ts, .js and .cjs file in the migrations folder (not .d.ts) is a revision.`);
  }
  const emit: string | undefined = migrations.emit;
  if (emit && !(LANGUAGES as readonly string[]).includes(emit)) {
    notices.push(`migrations.emit '${emit}' is not supported: revisions are written as TypeScript (set emit to 'ts', 'js' or 'cjs').`);
  }
  return notices;
}

/**
 * The language `migrate` writes revisions in, which is also their file extension: the config's
 * `migrations.emit`, as MikroORM 6's own migrator reads it ('js' and 'cjs' are both CommonJS,
 * in a `.js` or a `.cjs` file).
 */
export type RevisionLanguage = (typeof LANGUAGES)[number];

export function revisionLanguage(config: Options): RevisionLanguage {
  const emit = config.migrations?.emit;
  return emit === 'js' || emit === 'cjs' ? emit : 'ts';
}

/**
 * The package.json that makes Node load the `.js` files in `dir` as ES modules (its nearest
 * package.json says `"type": "module"`), or undefined. Node reads only the nearest one.
 */
function esmPackageOf(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type === 'module' ? file : undefined;
      } catch {
        return undefined; // a package.json that does not parse is npm's and Node's to report
      }
    }
    if (dirname(at) === at) return undefined;
  }
}

/**
 * `emit: 'js'` in an ES module package: the revision is CommonJS (as MikroORM's own generator
 * writes it) in a `.js` file, which Node, and so MikroORM's own migrator or an app that runs its
 * migrations on startup, loads as an ES module and cannot run. veloiq's own loader runs it, so
 * the file stays as it is (earlier revisions keep working); the notice names the fix.
 */
export function esmPackageNotice(migrationsDir: string, language: RevisionLanguage, show: (path: string) => string): string | undefined {
  if (language !== 'js') return undefined;
  const esm = esmPackageOf(migrationsDir);
  if (!esm) return undefined;
  return `migrations.emit 'js' writes CommonJS revisions, but ${show(esm)} has "type": "module", so Node and MikroORM's own migrator cannot load them (veloiq db can): set migrations.emit to 'cjs' to write .cjs files.`;
}
