import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { UserError, describeError, redactResult } from '../core/errors';
import { failureOf, toJson, toText, type CommandResult } from '../commands/report';
import type { CommandOptions } from '../commands/session';
import { argumentsOf, assertAccepted, COMMAND_NAMES, parseWords, revisionOf, type CommandName } from './arguments';

export interface ExecutorOptions {
  envFile?: string;
  json?: boolean;
  revision?: string | number;
}

/**
 * The words typed after `nx run <project>:<target>`, as typed. Nx parses them before the
 * executor runs, turning `+1` into 1 (another revision), `007` into 7, and `-0` or `-abc` into
 * flags; it keeps the words themselves (`__overrides_unparsed__`) in the task graph. Undefined
 * when absent (another runner, a test calling the executor directly).
 */
function typedWords(context: ExecutorContext): string[] | undefined {
  const tasks = Object.values(context.taskGraph?.tasks ?? {});
  const task = tasks.find(
    (t) => t.target.project === context.projectName && t.target.target === context.targetName && t.target.configuration === context.configurationName,
  );
  const words = (task?.overrides as { __overrides_unparsed__?: unknown } | undefined)?.__overrides_unparsed__;
  return Array.isArray(words) ? words.map(String) : undefined;
}

/**
 * The options as the user typed them: the typed words, read with the same schema-derived
 * parser as `veloiq` uses, are checked (an unknown option or a second revision is refused, not
 * ignored) and give the revision exactly as written (`veloiq` hands it over as `--revision=X`).
 */
export function typedOptions<O extends ExecutorOptions>(options: O, context: ExecutorContext): O {
  const command = context.target?.executor?.split(':')[1] as CommandName | undefined;
  const words = typedWords(context);
  if (!words || !command || !COMMAND_NAMES.includes(command)) return options;
  const parsed = parseWords(command, words);
  assertAccepted(command, parsed);
  const revision = revisionOf(command, parsed);
  return revision === undefined ? options : { ...options, [argumentsOf(command).positional!]: revision };
}

/** Where a command's report and its error line go: the console, or a batch task's own output. */
export interface Print {
  out(line: string): void;
  err(line: string): void;
}

const CONSOLE: Print = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * The one adapter between Nx and a command: Nx's context becomes plain options, the result
 * becomes text (or JSON), and a user error becomes one line on stderr and a failed run.
 */
export async function runCommand<O extends ExecutorOptions>(
  command: (options: O & CommandOptions) => Promise<CommandResult>,
  options: O,
  context: ExecutorContext,
  print: Print = CONSOLE,
): Promise<{ success: boolean }> {
  const project = context.projectsConfigurations.projects[context.projectName as string];
  try {
    const result = await command({ ...typedOptions(options, context), projectRoot: join(context.root, project.root), cwd: context.cwd ?? process.cwd() });
    if (!options.json && result.kind === 'sql' && process.env.VELOIQ_JSON_OUTPUT) {
      // `veloiq ... --sql > file.sql` reads the script from here, likewise.
      writeFileSync(process.env.VELOIQ_JSON_OUTPUT, redactResult(toText(result)) + '\n');
    } else if (!options.json) {
      print.out(redactResult(toText(result)));
    } else if (process.env.VELOIQ_JSON_OUTPUT) {
      // `veloiq ... --json` reads the JSON from here, so Nx's own lines never mix into it.
      writeFileSync(process.env.VELOIQ_JSON_OUTPUT, redactResult(toJson(result)) + '\n');
    } else {
      print.out(redactResult(toJson(result)));
    }
    // A result that reports problems (status's drift, db-lint's findings) is shown in full, then fails the run.
    const failure = failureOf(result);
    if (failure) print.err(describeError(new UserError(failure)));
    return { success: !failure && (!('ok' in result) || result.ok !== false) };
  } catch (error) {
    print.err(describeError(error));
    return { success: false };
  }
}
