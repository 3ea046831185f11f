import { sep } from 'node:path';

/**
 * Forgets every module loaded from a project folder, so the next load reads the files as they
 * are now. A command runs once per process under Nx, but tests and long-lived hosts call
 * commands repeatedly while the entity files change between calls.
 */
export function forgetModulesUnder(dir: string): void {
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(prefix) && !key.includes(`${sep}node_modules${sep}`)) delete require.cache[key];
  }
}
