// A tiny stand-in for `veloiq db <command>` that calls the engine directly, for tests that run
// commands against a project copied outside the workspace (where `nx run` cannot reach it).
// Usage: node --import tsx test/run-command.ts <upgrade|current|history|downgrade|stamp|migrate|check|status> <projectRoot> ['<json options>']
// Prints the text report on stdout, or one redacted error line on stderr and exits 1.
import { UserError, describeError, redactResult } from '../src/core/errors';
import { failureOf, toText, type CommandResult } from '../src/commands/report';
import type { CommandOptions } from '../src/commands/session';

const commands: Record<string, () => Promise<(options: CommandOptions & Record<string, unknown>) => Promise<CommandResult>>> = {
  upgrade: async () => (await import('../src/commands/upgrade.js')).upgrade,
  current: async () => (await import('../src/commands/current.js')).current,
  history: async () => (await import('../src/commands/history.js')).history,
  downgrade: async () => (await import('../src/commands/downgrade.js')).downgrade as never,
  stamp: async () => (await import('../src/commands/stamp.js')).stamp as never,
  migrate: async () => (await import('../src/commands/migrate.js')).migrate as never,
  check: async () => (await import('../src/commands/check.js')).checkOrFail as never,
  status: async () => (await import('../src/commands/status.js')).status,
};

async function main(): Promise<number> {
  const [name, projectRoot, json] = process.argv.slice(2);
  const options = { projectRoot, cwd: process.cwd(), ...(json ? JSON.parse(json) : {}) };
  try {
    const command = await commands[name]();
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
