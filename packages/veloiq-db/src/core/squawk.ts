import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { UserError } from './errors';
import type { SquawkFinding } from './lint-findings';

/** The squawk binary of the installed `squawk-cli` (its platform package, installed by npm with no download). */
function squawkBinary(): string {
  try {
    // The package declares no entry point; its launcher's module finds the platform binary.
    const launcher = join(dirname(require.resolve('squawk-cli/package.json')), 'js/index.js');
    return (require(launcher) as { getBinaryPath(): string }).getBinaryPath();
  } catch (error) {
    const first = String((error as Error)?.message ?? error).split('\n')[0];
    throw new UserError(`The squawk linter is not installed (${first}). Reinstall with optional dependencies: npm install --include=optional.`);
  }
}

export interface SquawkOptions {
  /** Folder the files are in; squawk reports paths relative to it. */
  cwd: string;
  files: string[];
  exclude: string[];
  include: string[];
  /** A `.squawk.toml` that replaces the default rule selection. */
  configPath?: string;
}

/**
 * Lints every file in one squawk process (a process per revision would cost more than the
 * linting). squawk exits 1 when it finds something; only output that is not its JSON is a failure.
 */
export function runSquawk({ cwd, files, exclude, include, configPath }: SquawkOptions): SquawkFinding[] {
  if (files.length === 0) return [];
  const rules = configPath
    ? ['--config', configPath]
    : [...(exclude.length ? [`--exclude=${exclude.join(',')}`] : []), ...(include.length ? [`--include=${include.join(',')}`] : [])];
  const run = spawnSync(squawkBinary(), ['--reporter', 'json', '--no-error-on-unmatched-pattern', ...rules, ...files], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error) throw new UserError(`The squawk linter could not run: ${run.error.message}. Reinstall @veloiq/db's dependencies (npm ci).`);
  try {
    return JSON.parse(run.stdout) as SquawkFinding[];
  } catch {
    const said = (run.stderr || run.stdout).trim().split('\n')[0];
    throw new UserError(`squawk failed: ${said}. Check the rule names in the lint options${configPath ? ` and ${configPath}` : ''}.`);
  }
}
