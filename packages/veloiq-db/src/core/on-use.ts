// Before tsx loads: its disk cache only where no other user can write (see the file).
import './tsx-cache.js';

/**
 * Loads a module of this package when it is first needed rather than at start-up, so the
 * read-only commands never load what only the others use (MikroORM, tsx, the schema tools).
 * Compiled, `load` is a plain require. From the TypeScript sources under `nx run`, the
 * transpiler Nx registered to load the executor is gone by the time `load` runs: tsx's hook
 * compiles the file instead.
 */
export function requireOnUse<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    const { register } = require('tsx/cjs/api') as typeof import('tsx/cjs/api');
    const unregister = register();
    try {
      return load();
    } finally {
      unregister();
    }
  }
}
