// A tiny stand-in for `veloiq db <command>` that calls the engine directly, for tests that run
// commands against a project copied outside the workspace (where `nx run` cannot reach it).
// Usage: node --require tsx/cjs (or --import tsx) test/run-command.ts <upgrade|current|history|downgrade|stamp|migrate|check|status> <projectRoot> ['<json options>']
// Prints the text report on stdout, or one redacted error line on stderr and exits 1.
import { UserError, describeError, redactResult } from '../src/core/errors';
import { failureOf, toText, type CommandResult } from '../src/commands/report';
import type { CommandOptions } from '../src/commands/session';

// Each command's module alone, through require(): tsx's CommonJS hook is all this process needs
// (safety-fixtures starts it with `--require tsx/cjs`, lighter than `--import tsx`, as bin/veloiq.js loads).
const commands: Record<string, () => (options: CommandOptions & Record<string, unknown>) => Promise<CommandResult>> = {
  upgrade: () => require('../src/commands/upgrade').upgrade,
  current: () => require('../src/commands/current').current,
  history: () => require('../src/commands/history').history,
  downgrade: () => require('../src/commands/downgrade').downgrade,
  stamp: () => require('../src/commands/stamp').stamp,
  migrate: () => require('../src/commands/migrate').migrate,
  check: () => require('../src/commands/check').checkOrFail,
  status: () => require('../src/commands/status').status,
};

async function main(): Promise<number> {
  const [name, projectRoot, json] = process.argv.slice(2);
  const options = { projectRoot, cwd: process.cwd(), ...(json ? JSON.parse(json) : {}) };
  try {
    const command = commands[name]();
    const result = await command(options);
    console.log(redactResult(toText(result)));
    const failure = failureOf(result);
    if (failure) console.error(describeError(new UserError(failure)));
    return failure ? 1 : 0;
  } catch (error) {
    console.error(describeError(error));
    return 1;
  }
}

main().then((code) => process.exit(code));
