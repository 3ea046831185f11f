// Argument parsing, in memory and table-driven: what `veloiq` hands to Nx, and what an executor
// reads back from the words Nx kept. One schema-derived model serves both (executors/arguments.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutorContext } from '@nx/devkit';
import { parseArgs, USAGE } from '../src/cli/args';
import { argumentsOf, parseWords } from '../src/executors/arguments';
import { typedOptions } from '../src/executors/run-command';

describe('veloiq turns its words into nx run arguments', () => {
  const rows: { argv: string[]; target?: string; args?: string[]; project?: string; capture?: boolean; usage?: RegExp }[] = [
    { argv: ['db', 'upgrade'], target: 'db-upgrade', args: [] },
    { argv: ['db', 'upgrade', '+1'], target: 'db-upgrade', args: ['--revision=+1'] },
    { argv: ['db', 'downgrade', '-1'], target: 'db-downgrade', args: ['--revision=-1'] },
    { argv: ['db', 'downgrade', '-0'], args: ['--revision=-0'] },
    { argv: ['db', 'upgrade', '007'], args: ['--revision=007'] },
    { argv: ['db', 'upgrade', '--transaction-per-migration', '+1'], args: ['--transactionPerMigration=true', '--revision=+1'] },
    { argv: ['db', 'upgrade', '--json', 'head'], args: ['--json=true', '--revision=head'], capture: true },
    { argv: ['db', 'upgrade', '--sql', 'base:head'], args: ['--sql=true', '--revision=base:head'], capture: true },
    { argv: ['db', 'upgrade', '--no-json'], args: ['--json=false'], capture: false },
    { argv: ['db', 'upgrade', '--env-file', '.env.prod'], args: ['--envFile=.env.prod'] },
    { argv: ['db', 'upgrade', '-e', '.env.prod'], args: ['--envFile=.env.prod'] },
    { argv: ['db', 'upgrade', '--env-file=.env.prod'], args: ['--envFile=.env.prod'] },
    { argv: ['db', 'upgrade', '--lock-timeout', '5'], args: ['--lockTimeout=5'] },
    { argv: ['db', 'migrate', '-m', 'add a table'], target: 'db-migrate', args: ['--message=add a table'] },
    { argv: ['db', 'migrate', '-m', '-starts with a dash'], args: ['--message=-starts with a dash'] },
    // `--` ends the options: what follows is the revision, however it starts.
    { argv: ['db', 'downgrade', '--', '-1'], args: ['--revision=-1'] },
    { argv: ['db', 'downgrade', '--json', '--', '--json'], args: ['--json=true', '--revision=--json'], capture: true },
    // A bare trailing `--` is no argument: `stamp --` stamps head, as `stamp` does.
    { argv: ['db', 'stamp', '--'], target: 'db-stamp', args: [] },
    { argv: ['--', 'db', 'stamp', '--'], target: 'db-stamp', args: [] },
    // Options the command does not declare go to Nx as typed (Nx's own, or for the executor to refuse).
    { argv: ['db', 'check', '--skip-nx-cache'], target: 'db-check', args: ['--skip-nx-cache'] },
    { argv: ['db', 'upgrade', '--sq'], args: ['--sq'] },
    // A command without a revision passes its bare words on, for Nx to refuse.
    { argv: ['db', 'current', 'zzz'], args: ['zzz'] },
    { argv: ['db', 'history', '--project', 'billing'], project: 'billing', args: [] },
    { argv: ['db', 'history', '-r', 'base:head'], target: 'db-history', args: ['--revRange=base:head'] },
    { argv: ['db', 'history', '-r', '-3:'], args: ['--revRange=-3:'] },
    { argv: ['db', 'history', '--rev-range=current:'], args: ['--revRange=current:'] },
    { argv: ['db', 'history', '--project=billing', '--', '--project'], project: 'billing', args: ['--project'] },
    { argv: ['generate'], target: 'generate', args: [] },
    { argv: ['generate', '--json'], target: 'generate', args: ['--json=true'], capture: true },
    { argv: ['db', 'frobnicate'], usage: /^Unknown command 'veloiq db frobnicate'\./ },
    { argv: ['db', 'upgrade', '--env-file'], usage: /^--env-file needs a value\.\nUsage: / },
    { argv: ['db', 'upgrade', '--project'], usage: /^--project needs a project name\./ },
    { argv: ['db', 'upgrade', '--help'], usage: /^Usage: / },
    { argv: ['db'], usage: /^Usage: / },
    { argv: [], usage: /^Usage: / },
  ];
  for (const row of rows) {
    test(`veloiq ${row.argv.join(' ')}`, () => {
      const invocation = parseArgs(row.argv);
      if (row.usage) {
        assert.equal(typeof invocation, 'string');
        assert.match(invocation as string, row.usage);
        return;
      }
      assert.notEqual(typeof invocation, 'string', String(invocation));
      const { target, args, project, captureOutput } = invocation as Exclude<typeof invocation, string>;
      if (row.target) assert.equal(target, row.target);
      assert.deepEqual(args, row.args);
      assert.equal(project, row.project);
      if (row.capture !== undefined) assert.equal(captureOutput, row.capture);
    });
  }

  test('two revisions are refused before Nx runs, naming both', () => {
    assert.throws(
      () => parseArgs(['db', 'upgrade', 'head', '+1']),
      /^UserError: veloiq db upgrade takes one revision, and got 2 words: 'head', '\+1'\. Give one\.$/,
    );
  });

  test('the usage names every db command', () => {
    for (const command of ['upgrade', 'migrate', 'downgrade', 'stamp', 'history', 'current', 'check']) assert.match(USAGE, new RegExp(`\\b${command}\\b`));
  });
});

describe('the model comes from the schemas', () => {
  test('upgrade: its options, their spellings, and the revision as the bare word', () => {
    const { spellings, positional, shown } = argumentsOf('upgrade');
    assert.equal(positional, 'revision');
    assert.deepEqual(shown, ['--revision', '--sql', '--env-file', '--json', '--transaction-per-migration', '--lock-timeout']);
    assert.deepEqual(spellings.get('e'), { name: 'envFile', flag: false });
    assert.deepEqual(spellings.get('transaction-per-migration'), { name: 'transactionPerMigration', flag: true });
  });

  test('commands without a revision have no bare word; migrate takes -m', () => {
    for (const command of ['current', 'history', 'check', 'migrate', 'generate'] as const) assert.equal(argumentsOf(command).positional, undefined, command);
    assert.deepEqual(argumentsOf('migrate').spellings.get('m'), { name: 'message', flag: false });
  });

  test('parseWords keeps the words Nx would reinterpret exactly as typed', () => {
    assert.deepEqual(parseWords('upgrade', ['+1']).positional, ['+1']);
    assert.deepEqual(parseWords('downgrade', ['-abc', '--', '-0']).positional, ['-abc', '-0']);
    assert.deepEqual(parseWords('upgrade', ['--revision=007']).options, { revision: '007' });
    assert.deepEqual(parseWords('upgrade', ['--json=true', '--sql=false']).options, { json: true, sql: false });
  });
});

describe('an executor reads the revision back from the words Nx kept', () => {
  const context = (words: string[] | undefined, executor = 'upgrade'): ExecutorContext =>
    ({
      root: '/w',
      cwd: '/w',
      isVerbose: false,
      projectName: 'sample',
      targetName: `db-${executor}`,
      target: { executor: `@veloiq/db:${executor}` },
      projectsConfigurations: { version: 2, projects: {} },
      nxJsonConfiguration: {},
      projectGraph: { nodes: {}, dependencies: {} },
      taskGraph: {
        roots: [],
        dependencies: {},
        tasks: words ? { t: { id: 't', target: { project: 'sample', target: `db-${executor}` }, overrides: { __overrides_unparsed__: words } } } : {},
      },
    }) as unknown as ExecutorContext;

  const rows: { words: string[] | undefined; parsed?: string | number; executor?: string; revision?: string | number; error?: RegExp }[] = [
    // From veloiq: `--revision=<word>`, which Nx's own parser turns into a number.
    { words: ['--revision=-1'], parsed: -1, executor: 'downgrade', revision: '-1' },
    { words: ['--revision=-0'], parsed: 0, revision: '-0' },
    { words: ['--revision=007'], parsed: 7, revision: '007' },
    { words: ['--revision=1e3'], parsed: 1000, revision: '1e3' },
    { words: ['--transactionPerMigration=true', '--revision=+1'], parsed: 1, revision: '+1' },
    // From `nx run` as users type it.
    { words: ['-1'], parsed: -1, executor: 'downgrade', revision: '-1' },
    { words: ['+1'], parsed: 1, revision: '+1' },
    { words: ['--json', 'head'], parsed: 'head', revision: 'head' },
    { words: ['-e', '.env.test', '+2'], parsed: 2, revision: '+2' },
    { words: ['--lock-timeout', '5', 'mwwx'], parsed: 'mwwx', revision: 'mwwx' },
    { words: [], parsed: 'head', revision: 'head' },
    // Without typed words (a test or another runner calling the executor), Nx's value stands.
    { words: undefined, parsed: 3, revision: 3 },
    {
      words: ['--sq'],
      error:
        /^Unknown option '--sq' for veloiq db upgrade\. Its options: --revision, --sql, --env-file, --json, --transaction-per-migration, --lock-timeout\.$/,
    },
    { words: ['-1', '--transaction-per-migratoin'], executor: 'downgrade', error: /^Unknown option '--transaction-per-migratoin' for veloiq db downgrade/ },
    { words: ['head', '+1'], error: /^veloiq db upgrade takes one revision, and got 2 words: 'head', '\+1'\. Give one\.$/ },
  ];
  for (const row of rows) {
    test(`${row.executor ?? 'upgrade'} ${row.words?.join(' ') ?? '(no typed words)'}`, () => {
      const run = () => typedOptions({ revision: row.parsed }, context(row.words, row.executor));
      if (row.error) assert.throws(run, (error: Error) => row.error!.test(error.message));
      else assert.equal(run().revision, row.revision);
    });
  }
});
