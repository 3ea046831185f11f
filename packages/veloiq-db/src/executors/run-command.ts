import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { describeError, redactResult } from '../core/errors';
import { toJson, toText, type CommandResult } from '../core/report';
import { assertKnownOptions } from './known-options';
import type { CommandOptions } from '../core/session';

export interface ExecutorOptions {
  envFile?: string;
  json?: boolean;
}

/**
 * The one adapter between Nx and a command: Nx's context becomes plain options, the result
 * becomes text (or JSON), and a user error becomes one line on stderr and a failed run.
 */
export async function runCommand<O extends ExecutorOptions>(
  command: (options: O & CommandOptions) => Promise<CommandResult>,
  options: O,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const project = context.projectsConfigurations.projects[context.projectName as string];
  try {
    assertKnownOptions(context);
    const result = await command({ ...options, projectRoot: join(context.root, project.root), cwd: context.cwd ?? process.cwd() });
    if (!options.json && result.kind === 'sql' && process.env.VELOIQ_JSON_OUTPUT) {
      // `veloiq ... --sql > file.sql` reads the script from here, likewise.
      writeFileSync(process.env.VELOIQ_JSON_OUTPUT, redactResult(toText(result)) + '\n');
    } else if (!options.json) {
      console.log(redactResult(toText(result)));
    } else if (process.env.VELOIQ_JSON_OUTPUT) {
      // `veloiq ... --json` reads the JSON from here, so Nx's own lines never mix into it.
      writeFileSync(process.env.VELOIQ_JSON_OUTPUT, redactResult(toJson(result)) + '\n');
    } else {
      console.log(redactResult(toJson(result)));
    }
    // A result that reports problems (db-lint's findings) is shown in full, then fails the run.
    return { success: !('ok' in result) || result.ok !== false };
  } catch (error) {
    console.error(describeError(error));
    return { success: false };
  }
}
