import { UserError } from '../core/errors';
import { argumentsOf, assertAccepted, parseWords, type CommandName } from '../executors/arguments';

/** What `veloiq` was asked: the Nx target, the project if named, and the arguments for Nx. */
export interface Invocation {
  target: string;
  project?: string;
  /** `--json`/`--sql`: the executor writes its output to a file, so Nx's own lines stay out of it. */
  captureOutput: boolean;
  args: string[];
}

export const USAGE = `Usage: veloiq db <upgrade|migrate|downgrade|stamp|history|current|check|status|lint|heads|branches|show|merge> [args] [--env-file FILE] [--project NAME]
       veloiq generate [--project NAME]
Each command runs 'nx run <project>:<target>' for the Nx project that contains the current directory.`;

const DB_COMMANDS: CommandName[] = [
  'upgrade',
  'migrate',
  'downgrade',
  'stamp',
  'history',
  'current',
  'check',
  'status',
  'lint',
  'heads',
  'branches',
  'show',
  'merge',
];

/** Takes veloiq's own options (`--project`, `--help`) out of the words, up to a `--`. */
function ownOptions(words: string[]): { project?: string; help: boolean; rest: string[] } | string {
  const own: { project?: string; help: boolean; rest: string[] } = { help: false, rest: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
      own.rest.push(...words.slice(i));
      break;
    }
    if (word === '--help' || word === '-h') own.help = true;
    else if (word === '--project' || word.startsWith('--project=')) {
      own.project = word === '--project' ? words[++i] : word.slice('--project='.length);
      if (!own.project) return `--project needs a project name.\n${USAGE}`;
    } else own.rest.push(word);
  }
  return own;
}

/**
 * Parses `veloiq db <sub> ...` / `veloiq generate ...` with the command's own schema (see
 * executors/arguments.ts) and writes every option for Nx as `--name=value`, so Nx neither takes
 * a revision after a flag as the flag's value nor reads `--env-file` as Node's option (Node 20
 * reads a literal `--env-file` argument of the Nx process, nodejs/node#54232). The revision goes
 * as `--revision=<word>`: the executor reads it back from Nx's typed words exactly as written,
 * after `--` too. Options the command does not declare go to Nx as typed: Nx's own
 * (`--skip-nx-cache`) are Nx's, and the executor refuses the rest. Returns a usage message for
 * anything else; throws a UserError for more revisions than the command takes.
 */
export function parseArgs(argv: string[]): Invocation | string {
  const rest = argv[0] === '--' ? argv.slice(1) : [...argv];
  const [group, sub, ...tail] = rest;
  let command: CommandName;
  let given: string[];
  if (group === 'db' && sub && !sub.startsWith('-')) {
    if (!DB_COMMANDS.includes(sub as CommandName)) return `Unknown command 'veloiq db ${sub}'.\n${USAGE}`;
    command = sub as CommandName;
    given = tail;
  } else if (group === 'generate') {
    command = 'generate';
    given = sub === undefined ? [] : [sub, ...tail];
  } else {
    return USAGE;
  }
  const own = ownOptions(given);
  if (typeof own === 'string') return own;
  if (own.help) return USAGE;
  let parsed;
  try {
    parsed = parseWords(command, own.rest);
  } catch (error) {
    if (error instanceof UserError) return `${error.message}\n${USAGE}`;
    throw error;
  }
  const { positional, variadic } = argumentsOf(command);
  // Nx would keep only the last of several `--revision=`: refuse here what the executor would.
  if (positional && parsed.positional.length > 1) assertAccepted(command, { ...parsed, unknown: [] });
  const args = [
    ...Object.entries(parsed.options).map(([name, value]) => `--${name}=${value}`),
    ...parsed.unknown,
    ...(!positional
      ? parsed.positional
      : variadic
        ? parsed.positional.length
          ? [`--${positional}=${parsed.positional.join(' ')}`]
          : []
        : parsed.positional.map((word) => `--${positional}=${word}`)),
  ];
  return {
    target: command === 'generate' ? 'generate' : `db-${command}`,
    project: own.project,
    // `--sql` prints a script meant for `> file.sql`: captured like JSON, free of Nx's lines.
    captureOutput: parsed.options.json === true || parsed.options.sql === true,
    args,
  };
}
