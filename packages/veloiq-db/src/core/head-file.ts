import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A tracked file in the migrations folder naming the head revision(s), as django-linear-migrations'
 * max_migration.txt: `migrate` and `merge` rewrite its last line, so two branches that each add a
 * revision change the same line and git reports a conflict before anything runs.
 */
export const HEAD_FILE = 'head.txt';

const COMMENT =
  "# The head revision(s) of this folder, rewritten by 'veloiq db migrate' and 'veloiq db merge'.\n" +
  '# A git conflict here means two branches each added a revision: keep both revision files, then run \'veloiq db merge -m "merge heads"\'.\n';

export function writeHeadFile(migrationsDir: string, heads: string[]): void {
  const temporary = join(migrationsDir, `.veloiq-head-${process.pid}.tmp`);
  writeFileSync(temporary, `${COMMENT}${heads.join(' ')}\n`);
  renameSync(temporary, join(migrationsDir, HEAD_FILE));
}

/** The heads the file names; undefined when there is no file (folders from before it existed). */
export function readHeadFile(migrationsDir: string): string[] | undefined {
  const path = join(migrationsDir, HEAD_FILE);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .flatMap((line) => line.trim().split(/\s+/))
    .filter(Boolean);
}
