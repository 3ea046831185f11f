// The fast path of `veloiq db current|history`: run in the veloiq process when the files say for
// sure what `nx run` would run, else through Nx. In memory: the "can I be sure" decision, table
// driven. For real: on a copy of this workspace, the fast path and `nx run` print the same and exit
// the same; a target with dependsOn or an option the fast path does not know goes through Nx.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decideFastPath, type WorkspaceFacts } from '../src/cli/fast-path';
import { copyWorkspace, createTestDatabase, nx, run, systemPgAvailable, WORKSPACE, type TestDatabase } from './support';

const NX_JSON = { plugins: [{ plugin: '@veloiq/db' }], targetDefaults: { 'db-migrate': { dependsOn: ['generate'] }, 'db-check': { dependsOn: ['generate'] } } };

function facts(change: Partial<WorkspaceFacts> = {}): WorkspaceFacts {
  return {
    nxJson: NX_JSON,
    projectRoot: 'apps/sample',
    projectName: 'sample',
    projectJson: { name: 'sample', targets: { serve: { executor: 'nx:run-commands' } } },
    packageJson: { name: 'sample' },
    inferred: true,
    nxEnvFiles: [],
    ...change,
  };
}

const projectTarget = (target: string, config: unknown) => ({ name: 'sample', targets: { [target]: config } });

describe('decideFastPath: runs in-process only when sure', () => {
  const DEFAULTS = { envFile: '.env', json: false };
  const runs: [string, WorkspaceFacts, string, string[], { executor: string; options: Record<string, unknown> }][] = [
    ['inferred current', facts(), 'db-current', [], { executor: 'current', options: DEFAULTS }],
    [
      'inferred history with --json and --envFile',
      facts(),
      'db-history',
      ['--json=true', '--envFile=.env.prod'],
      { executor: 'history', options: { envFile: '.env.prod', json: true } },
    ],
    ['plugin as a plain string', facts({ nxJson: { plugins: ['@veloiq/db'] } }), 'db-current', [], { executor: 'current', options: DEFAULTS }],
    [
      'renamed by the plugin options',
      facts({ nxJson: { plugins: [{ plugin: '@veloiq/db', options: { currentTargetName: 'db-now' } }] } }),
      'db-now',
      [],
      { executor: 'current', options: DEFAULTS },
    ],
    [
      'options merged: targetDefaults, then project.json, then the command line',
      facts({
        nxJson: { ...NX_JSON, targetDefaults: { 'db-current': { options: { envFile: 'a.env', json: true } } } },
        projectJson: projectTarget('db-current', { options: { envFile: 'b.env' } }),
      }),
      'db-current',
      [],
      { executor: 'current', options: { envFile: 'b.env', json: true } },
    ],
    [
      'the command line wins',
      facts({ projectJson: projectTarget('db-current', { options: { json: true } }) }),
      'db-current',
      ['--json=false'],
      { executor: 'current', options: DEFAULTS },
    ],
    [
      'spelled out with our executor, no MikroORM config inferred',
      facts({ inferred: false, projectJson: projectTarget('db-state', { executor: '@veloiq/db:current' }) }),
      'db-state',
      [],
      { executor: 'current', options: DEFAULTS },
    ],
    [
      'empty dependsOn and cache false',
      facts({ projectJson: projectTarget('db-history', { dependsOn: [], cache: false }) }),
      'db-history',
      [],
      { executor: 'history', options: DEFAULTS },
    ],
  ];
  for (const [name, given, target, args, expected] of runs) {
    test(`runs: ${name}`, () => assert.deepEqual(decideFastPath(given, target, args), { run: expected }));
  }

  const fallbacks: [string, WorkspaceFacts, string, string[], RegExp][] = [
    ['upgrade changes the database', facts(), 'db-upgrade', [], /not a read-only/],
    ['migrate writes files', facts(), 'db-migrate', [], /not a read-only/],
    [
      'the target is not inferred under this name',
      facts({ nxJson: { plugins: [{ plugin: '@veloiq/db', options: { currentTargetName: 'db-now' } }] } }),
      'db-current',
      [],
      /not a read-only/,
    ],
    ['no MikroORM config and nothing spelled out', facts({ inferred: false }), 'db-current', [], /not a read-only/],
    ['dependsOn in project.json', facts({ projectJson: projectTarget('db-current', { dependsOn: ['generate'] }) }), 'db-current', [], /dependsOn/],
    [
      'dependsOn in targetDefaults',
      facts({ nxJson: { ...NX_JSON, targetDefaults: { 'db-history': { dependsOn: ['^build'] } } } }),
      'db-history',
      [],
      /dependsOn/,
    ],
    [
      'an option the fast path does not know',
      facts({ projectJson: projectTarget('db-current', { options: { verbose: true } }) }),
      'db-current',
      [],
      /option 'verbose'/,
    ],
    [
      'an option holding a token',
      facts({ projectJson: projectTarget('db-current', { options: { envFile: '{projectRoot}/.env.ci' } }) }),
      'db-current',
      [],
      /token/,
    ],
    ['configurations', facts({ projectJson: projectTarget('db-current', { configurations: { prod: {} } }) }), 'db-current', [], /sets 'configurations'/],
    [
      'another executor under the name',
      facts({ projectJson: projectTarget('db-current', { executor: 'nx:run-commands' }) }),
      'db-current',
      [],
      /runs nx:run-commands/,
    ],
    ['cached', facts({ nxJson: { ...NX_JSON, targetDefaults: { 'db-current': { cache: true } } } }), 'db-current', [], /cached/],
    ['another plugin', facts({ nxJson: { plugins: ['@veloiq/db', '@nx/js/typescript'] } }), 'db-current', [], /other plugins/],
    ['plugin include/exclude', facts({ nxJson: { plugins: [{ plugin: '@veloiq/db', include: ['apps/**'] }] } }), 'db-current', [], /include\/exclude/],
    ['nx.json extends', facts({ nxJson: { ...NX_JSON, extends: 'nx/presets/npm.json' } }), 'db-current', [], /extends/],
    ['a glob in targetDefaults', facts({ nxJson: { ...NX_JSON, targetDefaults: { 'db-*': { options: { json: true } } } } }), 'db-current', [], /'db-\*'/],
    [
      'targetDefaults keyed by our executor',
      facts({ nxJson: { ...NX_JSON, targetDefaults: { '@veloiq/db:current': { options: {} } } } }),
      'db-current',
      [],
      /@veloiq\/db:current/,
    ],
    ['a package.json script of that name', facts({ packageJson: { name: 'sample', scripts: { 'db-current': 'echo hi' } } }), 'db-current', [], /script/],
    ['a dotenv file Nx loads into the task', facts({ nxEnvFiles: ['apps/sample/.env'] }), 'db-current', [], /apps\/sample\/\.env/],
    ['an unknown argument', facts(), 'db-current', ['--verbose'], /argument '--verbose'/],
    ['a revision word', facts(), 'db-history', ['head'], /argument 'head'/],
    ['--json with a strange value', facts(), 'db-current', ['--json=yes'], /argument/],
  ];
  for (const [name, given, target, args, reason] of fallbacks) {
    test(`falls back: ${name}`, () => {
      const decision = decideFastPath(given, target, args);
      assert.ok('fallback' in decision, `expected a fallback, got ${JSON.stringify(decision)}`);
      assert.match(decision.fallback, reason);
    });
  }
});

/**
 * The command's own lines: without Nx's banner (`> nx run ...`) and everything from Nx's summary
 * on (its ` NX ` lines, run duration, recommendations, failed-task list).
 */
function ownLines(text: string): string[] {
  const lines = text.split('\n');
  const trailer = lines.findIndex((line) => /^\s*NX\s{2,}|^\s*Run duration:/.test(line));
  return lines.slice(0, trailer === -1 ? undefined : trailer).filter((line) => line.trim() !== '' && !/^> nx run /.test(line));
}

describe('veloiq db current|history: the fast path and nx run agree, on a copy of this workspace', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  let db: TestDatabase;
  let sample: string;

  const veloiq = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [join(WORKSPACE, 'packages/veloiq-db/bin/veloiq.js'), '--', ...args], {
      cwd: sample,
      env: { DATABASE_URL: db.url, NX_TUI: 'false', ...env },
      timeoutMs: 600_000,
    });
  const viaNx = (args: string[]) => veloiq(args, { VELOIQ_NO_FAST_PATH: '1' });

  before(async () => {
    assert.ok(await systemPgAvailable(), 'PostgreSQL on 127.0.0.1:5432');
    workspace = copyWorkspace('veloiq-fast-');
    sample = join(workspace.root, 'apps/sample');
    db = await createTestDatabase('vq_fast');
    // One revision applied, one pending: current and history have something to say.
    const up = await nx(['run', 'sample:db-upgrade', '+1'], { cwd: workspace.root, env: { DATABASE_URL: db.url }, timeoutMs: 600_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
  });

  after(async () => {
    await db?.drop();
    workspace?.remove();
  });

  const cases: string[][] = [
    ['db', 'current'],
    ['db', 'history'],
    ['db', 'current', '--json'],
    ['db', 'history', '--json'],
    ['db', 'current', '--env-file', 'missing.env'],
  ];
  for (const args of cases) {
    test(`veloiq ${args.join(' ')}: same output and exit code`, async () => {
      const fast = await veloiq(args);
      const slow = await viaNx(args);
      assert.equal(fast.code, slow.code, `exit codes\nfast: ${fast.stderr}\nnx: ${slow.stderr}`);
      assert.doesNotMatch(fast.stdout, /> nx run/, 'the fast path ran no Nx task');
      // With --json, veloiq keeps Nx's lines out of stdout: byte for byte the same.
      if (args.includes('--json')) assert.equal(fast.stdout, slow.stdout, 'JSON byte for byte');
      else assert.match(slow.stdout, /> nx run sample:db-/, 'VELOIQ_NO_FAST_PATH went through nx run');
      assert.deepEqual(ownLines(fast.stdout), ownLines(slow.stdout));
      assert.equal(
        fast.stdout,
        ownLines(fast.stdout)
          .map((line) => `${line}\n`)
          .join(''),
        'the fast path prints only the command',
      );
      assert.deepEqual(ownLines(fast.stderr), ownLines(slow.stderr));
    });
  }

  test('the fast path reports what is pending: one revision applied, one not', async () => {
    const result = await veloiq(['db', 'current', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).pending, 1);
  });

  const editProjectJson = (change: (json: { targets: Record<string, unknown> }) => void) => {
    const file = join(sample, 'project.json');
    const original = readFileSync(file, 'utf8');
    const json = JSON.parse(original);
    change(json);
    writeFileSync(file, JSON.stringify(json, null, 2));
    return () => writeFileSync(file, original);
  };

  test('a db-current target with dependsOn goes through nx run, which runs the dependency first', async () => {
    const marker = join(sample, 'dependency-ran.txt');
    const restore = editProjectJson((json) => {
      json.targets['write-marker'] = {
        executor: 'nx:run-commands',
        options: { command: "node -e \"require('fs').writeFileSync('dependency-ran.txt', '')\"", cwd: 'apps/sample' },
      };
      json.targets['db-current'] = { dependsOn: ['write-marker'] };
    });
    try {
      const result = await veloiq(['db', 'current']);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(existsSync(marker), 'the dependency ran');
      assert.match(result.stdout, /> nx run sample:db-current/);
    } finally {
      restore();
    }
  });

  test('an option the fast path does not know, in project.json, goes through nx run, which refuses it', async () => {
    const restore = editProjectJson((json) => {
      json.targets['db-history'] = { options: { lockTimeout: 5 } };
    });
    try {
      const result = await veloiq(['db', 'history']);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout + result.stderr, /'lockTimeout' is not found in schema/);
    } finally {
      restore();
    }
  });

  test('options from nx.json targetDefaults reach the fast path: json: true prints JSON, with no Nx task', async () => {
    const file = join(workspace.root, 'nx.json');
    const original = readFileSync(file, 'utf8');
    const json = JSON.parse(original);
    json.targetDefaults['db-history'] = { options: { json: true } };
    writeFileSync(file, JSON.stringify(json, null, 2));
    try {
      const fast = await veloiq(['db', 'history']);
      const slow = await viaNx(['db', 'history']);
      assert.equal(fast.code, 0, fast.stderr);
      assert.doesNotMatch(fast.stdout, /> nx run/);
      assert.deepEqual(
        JSON.parse(fast.stdout).map((r: { id: string }) => r.id),
        JSON.parse(ownLines(slow.stdout).join('\n')).map((r: { id: string }) => r.id),
      );
    } finally {
      writeFileSync(file, original);
    }
  });
});
