/** What `veloiq` was asked: the Nx target, the project if named, and the arguments for Nx. */
export interface Invocation {
  target: string;
  project?: string;
  /** `--json`/`--sql`: the executor writes its output to a file, so Nx's own lines stay out of it. */
  captureOutput: boolean;
  args: string[];
}

export const USAGE = `Usage: veloiq db <upgrade|migrate|downgrade|stamp|history|current|check|heads|branches|show|merge> [args] [--env-file FILE] [--project NAME]
       veloiq generate [--project NAME]
Each command runs 'nx run <project>:<target>' for the Nx project that contains the current directory.`;

const DB_COMMANDS = ['upgrade', 'migrate', 'downgrade', 'stamp', 'history', 'current', 'check', 'heads', 'branches', 'show', 'merge'];

/**
 * Flags that take no value. Handed to Nx as `--flag=true`, because Nx would otherwise take a
 * revision that follows (`--transaction-per-migration +1`) as the flag's value.
 */
const BOOLEAN_FLAGS = new Set(['--json', '--sql', '--transaction-per-migration', '--transactionPerMigration']);

/** Options whose value is the next argument when written `--flag value`. */
const WITH_VALUE: Record<string, string> = { '--env-file': 'envFile', '-e': 'envFile', '--envFile': 'envFile', '-m': 'message', '--message': 'message', '--head': 'head', '--branch-label': 'branchLabel', '--branchLabel': 'branchLabel' };

/**
 * Parses `veloiq db <sub> ...` / `veloiq generate ...`. Returns a usage message for anything
 * else. `--env-file` is handed to Nx as `--envFile`, because Node 20 would read a literal
 * `--env-file` argument of the Nx process as its own option (nodejs/node#54232).
 */
export function parseArgs(argv: string[]): Invocation | string {
  const rest = argv[0] === '--' ? argv.slice(1) : [...argv];
  const [group, sub, ...tail] = rest;
  let target: string;
  let given: string[];
  if (group === 'db' && sub && !sub.startsWith('-')) {
    if (!DB_COMMANDS.includes(sub)) return `Unknown command 'veloiq db ${sub}'.\n${USAGE}`;
    target = `db-${sub}`;
    given = tail;
  } else if (group === 'generate') {
    target = 'generate';
    given = sub === undefined ? [] : [sub, ...tail];
  } else {
    return USAGE;
  }
  const invocation: Invocation = { target, captureOutput: false, args: [] };
  for (let i = 0; i < given.length; i++) {
    const arg = given[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--help' || flag === '-h') return USAGE;
    if (flag === '--project') {
      invocation.project = inline ?? given[++i];
      if (!invocation.project) return `--project needs a project name.\n${USAGE}`;
    } else if (flag in WITH_VALUE) {
      const value = inline ?? given[++i];
      if (value === undefined) return `${flag} needs a value.\n${USAGE}`;
      invocation.args.push(`--${WITH_VALUE[flag]}=${value}`);
    } else {
      // `--sql` prints a script meant for `> file.sql`: captured like JSON, free of Nx's lines.
      if (flag === '--json' || flag === '--sql') invocation.captureOutput = true;
      invocation.args.push(BOOLEAN_FLAGS.has(arg) ? `${arg}=true` : arg);
    }
  }
  return invocation;
}
