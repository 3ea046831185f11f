import { register } from 'tsx/cjs/api';

type ScopedRequire = (id: string, fromFile: string) => unknown;
let scopedRequire: ScopedRequire | undefined;

/**
 * Loads a project file (the MikroORM config, a revision) that may be TypeScript. The loader is
 * scoped to what we load, so it neither depends on nor disturbs whatever loader the host
 * process (Nx, a test runner) registered, and it is registered once for the whole command:
 * revisions are loaded while migrations run.
 */
export function loadModule<T = unknown>(path: string): T {
  scopedRequire ??= register({ namespace: 'veloiq-db' }).require as ScopedRequire;
  return scopedRequire(path, __filename) as T;
}
