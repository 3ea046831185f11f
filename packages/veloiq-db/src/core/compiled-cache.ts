import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ownedSafely, readOwnFile } from './private-files';

/**
 * Compiled revisions kept between runs (in the project's `.veloiq/compiled/`), so a long
 * upgrade compiles each file once. What is read here is run as code, so nothing is read from a
 * place another user can write: the folder must be a real folder (no symlink) owned by this
 * user and writable by no one else, and each entry, opened without following links, a regular
 * file with the same owner and rights that starts with a header naming its key and the hash of
 * what follows. Anything else is ignored: a planted, stale or cut-short entry is never run.
 */
export interface CompiledCache {
  /** The code compiled for `path` under `key` (a hash of the source and compiler), if kept. */
  read(path: string, key: string): string | undefined;
  /** Keeps newly compiled code, and forgets entries of these revisions' older versions and of deleted revisions. */
  write(entries: { path: string; key: string; code: string }[]): void;
}

const entryName = (path: string, key: string) => `${basename(path)}.${key}.js`;
const headerOf = (key: string, code: string) => `// veloiq compiled ${key} ${createHash('sha256').update(code).digest('hex')}`;

/** The cache in `dir` (created, private, when missing), or none when the folder cannot be trusted. */
export function openCompiledCache(dir: string): CompiledCache | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || !ownedSafely(stat)) return undefined;
  } catch {
    return undefined;
  }
  return {
    read(path, key) {
      const text = readOwnFile(join(dir, entryName(path, key)));
      if (text === undefined) return undefined; // not compiled yet, or not to be trusted
      const end = text.indexOf('\n');
      const code = text.slice(end + 1);
      return end > 0 && text.slice(0, end) === headerOf(key, code) ? code : undefined;
    },
    write(entries) {
      if (entries.length === 0) return;
      const current = new Map(entries.map(({ path, key }) => [basename(path), key]));
      const sourceDirs = new Set(entries.map(({ path }) => dirname(path)));
      try {
        for (const { path, key, code } of entries) {
          const file = join(dir, entryName(path, key));
          writeFileSync(`${file}.${process.pid}`, `${headerOf(key, code)}\n${code}`, { mode: 0o600 });
          renameSync(`${file}.${process.pid}`, file);
        }
        // Pruned here, when something was compiled anyway: older versions of these revisions,
        // and revisions no longer in their folder (all of a run's revisions share one folder).
        const [sourceDir] = sourceDirs.size === 1 ? sourceDirs : [undefined];
        for (const name of readdirSync(dir)) {
          const match = /^(.+)\.([0-9a-f]{40})\.js$/.exec(name);
          if (!match) continue;
          const [, source, key] = match;
          const stale = current.has(source) ? current.get(source) !== key : sourceDir !== undefined && !existsSync(join(sourceDir, source));
          if (stale) rmSync(join(dir, name), { force: true });
        }
      } catch {
        // a read-only folder only costs the next run a compile
      }
    },
  };
}
