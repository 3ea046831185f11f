import type { Options } from '@mikro-orm/core';

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
  if (migrations.emit && migrations.emit !== 'ts' && migrations.emit !== 'js') {
    notices.push(`migrations.emit '${migrations.emit}' is not supported: revisions are written as TypeScript (set emit to 'ts' or 'js').`);
  }
  return notices;
}

/** The language `migrate` writes revisions in: the config's `migrations.emit`. */
export function revisionLanguage(config: Options): 'ts' | 'js' {
  return config.migrations?.emit === 'js' ? 'js' : 'ts';
}
