// The fast path of `veloiq db current|history`: run in the veloiq process when the files say for
// sure what `nx run` would run, else through Nx. In memory: the "can I be sure" decision, table
// driven. For real: on a copy of this workspace, the fast path and `nx run` print the same and exit
// the same; a target with dependsOn or an option the fast path does not know goes through Nx.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { decideFastPath, type WorkspaceFacts } from '../src/cli/fast-path';
import { plainConnectionDoubt } from '../src/core/config-facts';
import { startEmbedded } from '../src/core/embedded';
import { runEngine } from './safety-fixtures';
import { copyWorkspace, createTestDatabase, run, systemPgAvailable, WORKSPACE, type TestDatabase } from './support';

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
      "Alembic's flags: --verbose, history -i",
      facts(),
      'db-history',
      ['--verbose=true', '--indicateCurrent=true'],
      { executor: 'history', options: { ...DEFAULTS, verbose: true, indicateCurrent: true } },
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
      'another plugin, and the fresh project graph has the target merged',
      facts({
        nxJson: { plugins: ['@veloiq/db', '@nx/js/typescript'] },
        graph: { target: { executor: '@veloiq/db:history', options: { json: true }, configurations: {}, parallelism: true, cache: false } },
      }),
      'db-history',
      [],
      { executor: 'history', options: { envFile: '.env', json: true } },
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
      facts({ projectJson: projectTarget('db-current', { options: { indicateCurrent: true } }) }),
      'db-current',
      [],
      /option 'indicateCurrent'/,
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
    [
      'another plugin, and no fresh project graph',
      facts({ nxJson: { plugins: ['@veloiq/db', '@nx/js/typescript'] }, graph: 'the cached project graph is stale (nx.json)' }),
      'db-current',
      [],
      /other plugins and the cached project graph is stale/,
    ],
    [
      'another plugin, and the fresh graph has dependsOn',
      facts({ nxJson: { plugins: ['@veloiq/db', 'x'] }, graph: { target: { executor: '@veloiq/db:current', dependsOn: ['build'] } } }),
      'db-current',
      [],
      /dependsOn/,
    ],
    [
      'another plugin, and the fresh graph runs another executor',
      facts({ nxJson: { plugins: ['@veloiq/db', 'x'] }, graph: { target: { executor: 'x:current' } } }),
      'db-current',
      [],
      /not a read-only/,
    ],
    [
      'another plugin, and the fresh graph has a configuration',
      facts({ nxJson: { plugins: ['@veloiq/db', 'x'] }, graph: { target: { executor: '@veloiq/db:current', configurations: { ci: {} } } } }),
      'db-current',
      [],
      /configurations/,
    ],
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
    ['an unknown argument', facts(), 'db-current', ['--bogus=true'], /argument '--bogus=true'/],
    ["another command's option", facts(), 'db-current', ['--indicateCurrent=true'], /argument '--indicateCurrent=true'/],
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

describe('plainConnectionDoubt: a config read over plain pg only when MikroORM would connect the same way', () => {
  const doubts: [string, Record<string, unknown>, RegExp | undefined][] = [
    ['a URL, entities, migrations', { clientUrl: 'postgresql://a@h/db', entities: [], migrations: { path: './m', tableName: 'x.y' } }, undefined],
    ['host fields and a password string', { host: 'h', port: 5433, user: 'u', password: 'p', dbName: 'd', schema: 's' }, undefined],
    ['driverOptions (ssl...)', { clientUrl: 'postgresql://a@h/db', driverOptions: { connection: { ssl: true } } }, /driverOptions/],
    ['a pool with hooks', { clientUrl: 'postgresql://a@h/db', pool: { afterCreate: () => undefined } }, /pool/],
    ['a password function', { host: 'h', password: async () => 'p' }, /password/],
  ];
  for (const [name, config, doubt] of doubts) {
    test(name, () => {
      const found = plainConnectionDoubt(config as never);
      if (doubt) assert.match(found ?? '', doubt);
      else assert.equal(found, undefined);
    });
  }
  test('MIKRO_ORM_ variables (MikroORM.init merges them)', () => {
    process.env.MIKRO_ORM_SCHEMA = 'other';
    try {
      assert.match(plainConnectionDoubt({ clientUrl: 'postgresql://a@h/db' }) ?? '', /MIKRO_ORM_/);
    } finally {
      delete process.env.MIKRO_ORM_SCHEMA;
    }
  });
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
    const up = await runEngine('upgrade', sample, { revision: '+1' }, { DATABASE_URL: db.url });
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
  const configFile = () => join(sample, 'backend/mikro-orm.config.ts');
  const editConfig = (change: (text: string) => string) => {
    const original = readFileSync(configFile(), 'utf8');
    writeFileSync(configFile(), change(original));
    return () => writeFileSync(configFile(), original);
  };
  /** The same command through MikroORM: a `pool` setting makes the read-only commands open it in full. */
  const throughMikroOrm = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const restore = editConfig((text) => text.replace('baseDir: __dirname,', 'baseDir: __dirname,\n  pool: {},'));
    return veloiq(args, env).finally(restore);
  };
  /** The plain-pg read, MikroORM's and nx run's: the same lines and exit code. */
  const assertSameEverywhere = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const fast = await veloiq(args, env);
    const full = await throughMikroOrm(args, env);
    const slow = await veloiq(args, { ...env, VELOIQ_NO_FAST_PATH: '1' });
    for (const [name, other] of [
      ['MikroORM', full],
      ['nx run', slow],
    ] as const) {
      assert.equal(fast.code, other.code, `exit code vs ${name}\nfast: ${fast.stderr}\n${name}: ${other.stderr}`);
      assert.deepEqual(ownLines(fast.stdout), ownLines(other.stdout), `stdout vs ${name}`);
      assert.deepEqual(ownLines(fast.stderr), ownLines(other.stderr), `stderr vs ${name}`);
    }
    return fast;
  };

  test('the config is remembered without its password, and followed when it or the environment changes', async () => {
    const secret = 'Rem3mbered-Secret-77';
    const withPassword = db.url.replace('postgres@', `postgres:${secret}@`); // the system server trusts every login
    const first = await assertSameEverywhere(['db', 'current', '--json'], { DATABASE_URL: withPassword });
    assert.equal(JSON.parse(first.stdout).pending, 1);
    const facts = readFileSync(join(sample, 'backend/.veloiq/config-facts.json'), 'utf8');
    assert.ok(!facts.includes(secret), 'no password in the remembered facts');
    assert.match(facts, /"clientUrl":\{"env":"DATABASE_URL"\}/);
    const again = await veloiq(['db', 'current', '--json'], { DATABASE_URL: withPassword });
    assert.equal(again.stdout, first.stdout, 'the remembered facts give the same answer');

    const restore = editConfig((text) => text.replace('migrations: {', "migrations: { tableName: 'other_record',"));
    try {
      const renamed = await assertSameEverywhere(['db', 'current', '--json']);
      assert.equal(JSON.parse(renamed.stdout).pending, 2, 'the edited config is read: nothing recorded in other_record');
    } finally {
      restore();
    }
    const empty = await createTestDatabase('vq_fast_empty');
    try {
      const moved = await veloiq(['db', 'current', '--json'], { DATABASE_URL: empty.url });
      assert.equal(JSON.parse(moved.stdout).pending, 2, 'another DATABASE_URL is followed');
    } finally {
      await empty.drop();
    }
    assert.equal(JSON.parse((await veloiq(['db', 'current', '--json'])).stdout).pending, 1, 'and back');
  });

  test('host, port, user, dbName and schema fields: read where MikroORM reads', async () => {
    await db.query('create schema if not exists rec');
    const dbName = new URL(db.url).pathname.slice(1);
    const restore = editConfig((text) =>
      text
        .replace('clientUrl: process.env.DATABASE_URL,', "host: '127.0.0.1', port: 5432, user: 'postgres', schema: 'rec',")
        .replace("dbName: process.env.DATABASE_URL ? undefined : 'sample',", `dbName: '${dbName}',`),
    );
    try {
      const history = await assertSameEverywhere(['db', 'history', '--json']);
      assert.ok(
        JSON.parse(history.stdout).every((r: { applied: boolean }) => !r.applied),
        'the record in schema rec is empty',
      );
    } finally {
      restore();
    }
  });

  test('an unreachable server: one line, no password, the same everywhere', async () => {
    const result = await assertSameEverywhere(['db', 'history'], { DATABASE_URL: 'postgresql://app:S3cret-unreach@127.0.0.1:1/app' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'Cannot connect to PostgreSQL at 127.0.0.1:1/app: connection refused. Start the server or check DATABASE_URL (or unset it to use the embedded database).\n',
    );
    assert.ok(!(result.stdout + result.stderr).includes('S3cret'));
  });

  test('a wrong password and the embedded default: the same everywhere, no password shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veloiq-fast-pg-'));
    chmodSync(dir, 0o777); // the embedded server runs as the postgres user when we are root
    const server = await startEmbedded(join(dir, 'pg'));
    try {
      const wrong = 'Wr0ng-Fast-Pa55';
      const url = server.url('postgres').replace(/:[^:@/]*@/, `:${wrong}@`);
      const refused = await assertSameEverywhere(['db', 'current'], { DATABASE_URL: url });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^PostgreSQL at 127\.0\.0\.1:\d+\/postgres refused the login: password authentication failed for user "postgres"\. .*\n$/);
      assert.ok(!(refused.stdout + refused.stderr).includes(wrong));
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    // No DATABASE_URL: the project's own embedded PostgreSQL (backend/.veloiq/postgres).
    const embedded = await assertSameEverywhere(['db', 'current', '--json'], { DATABASE_URL: undefined });
    assert.equal(embedded.code, 0, embedded.stderr);
    assert.equal(JSON.parse(embedded.stdout).pending, 2);
  });
  test('with @nx/js/typescript in nx.json: the fast path once Nx has a fresh project graph; nx run when another plugin gives our target dependsOn', async () => {
    const nxFile = join(workspace.root, 'nx.json');
    const pluginFile = join(workspace.root, 'marker-plugin.js');
    const marker = join(mkdtempSync(join(tmpdir(), 'veloiq-fast-marker-')), 'ran');
    const original = readFileSync(nxFile, 'utf8');
    const json = JSON.parse(original);
    const writeNxJson = (plugins: unknown[]) => writeFileSync(nxFile, JSON.stringify({ ...json, plugins: [...json.plugins, ...plugins] }, null, 2));
    const env = { VELOIQ_DEBUG_FAST_PATH: '1', VELOIQ_TEST_MARKER: marker };
    try {
      writeNxJson(['@nx/js/typescript']);
      const stale = await veloiq(['db', 'current'], env);
      assert.equal(stale.code, 0, stale.stdout + stale.stderr);
      assert.match(stale.stderr, /through nx run: nx\.json lists other plugins and the cached project graph/);
      assert.match(stale.stdout, /> nx run sample:db-current/);
      const fresh = await veloiq(['db', 'current'], env);
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.doesNotMatch(fresh.stdout + fresh.stderr, /nx run/, 'Nx wrote a fresh graph: the fast path');
      assert.deepEqual(ownLines(fresh.stdout), ownLines(stale.stdout));

      // A workspace plugin, listed after ours, that makes db-current depend on another target.
      writeFileSync(
        pluginFile,
        `const { dirname } = require('node:path');
const write = { executor: 'nx:run-commands', options: { command: 'node -e "require(\\'fs\\').writeFileSync(process.env.VELOIQ_TEST_MARKER, \\'\\')"' } };
const createNodes = ['**/backend/mikro-orm.config.ts', (files) => files.map((file) => [file, { projects: { [dirname(dirname(file))]: { targets: { 'db-current': { dependsOn: ['write-marker'] }, 'write-marker': write } } } }])];
module.exports = { name: 'marker-plugin', createNodes, createNodesV2: createNodes };
`,
      );
      writeNxJson(['@nx/js/typescript', './marker-plugin.js']);
      for (const when of ['the graph is stale', 'the graph is fresh']) {
        rmSync(marker, { force: true });
        const result = await veloiq(['db', 'current'], env);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /> nx run sample:db-current/, `${when}: through nx run`);
        assert.ok(existsSync(marker), `${when}: the dependency ran`);
      }
      assert.match((await veloiq(['db', 'current'], env)).stderr, /through nx run: the project graph's db-current has dependsOn/);
    } finally {
      writeFileSync(nxFile, original);
      rmSync(pluginFile, { force: true });
      rmSync(dirname(marker), { recursive: true, force: true });
    }
  });
});
