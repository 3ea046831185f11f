// The published package, end to end: `npm run package` builds compiled JavaScript and packs it;
// the tarball is installed into a brand-new Nx workspace in a temporary folder outside this
// repository, where `nx g @veloiq/db:init`, the inferred targets and `npx veloiq` must work
// from the compiled code alone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, run, missingSystemPg, type TestDatabase } from './support';

const PKG = join(__dirname, '..');
const ROOT_PKG = JSON.parse(readFileSync(join(PKG, '../../package.json'), 'utf8'));

/**
 * The environment a user's shell would have: no npm_* variables from a surrounding `npm test`,
 * and Nx's own default of loading plugins in isolated workers (the other tests load them
 * in-process, which is faster).
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && !key.startsWith('NX_') && key !== 'DATABASE_URL') env[key] = value;
  }
  return { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: undefined, ...extra };
}

const ITEM_MODELS = `import { defineEntity, p } from '@mikro-orm/core';

export const Item = defineEntity({
  name: 'Item',
  tableName: 'item',
  properties: {
    id: p.integer().primary().autoincrement(),
    title: p.string().length(100),
  },
});
`;

/** The first ```sh block after a heading of the package README, as a user would paste it. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README heading ${heading}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, `a sh block under ${heading}`);
  return block[1];
}

describe('npm package', () => {
  let scratch: string;
  let tarball: string;
  let entries: string[];
  let buildLog = '';

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'veloiq-pack-'));
    // Strict, as a release builds: a type error fails the packing.
    const out = execFileSync(process.execPath, [join(PKG, 'scripts/pack.mjs'), '--out', join(scratch, 'pack')], {
      encoding: 'utf8',
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    buildLog = out;
    tarball = out.trim().split('\n').at(-1)!;
    entries = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('contains compiled JavaScript with declarations, the manifests and the bin, and no sources or tests', () => {
    assert.deepEqual(
      buildLog.split('\n').filter((line) => /error TS\d+/.test(line)),
      [],
      'no type errors',
    );
    for (const file of [
      'package.json',
      'executors.json',
      'generators.json',
      'bin/veloiq',
      'bin/veloiq.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/plugin/plugin.js',
      'dist/cli/main.js',
    ]) {
      assert.ok(entries.includes(`package/${file}`), `${file} is in the tarball`);
    }
    const sources = entries.filter((e) => /\.ts$/.test(e) && !/\.d\.ts$/.test(e));
    assert.deepEqual(sources, [], 'no TypeScript sources');
    assert.deepEqual(
      entries.filter((e) => /(^|\/)(test|tests|__tests__)\//.test(e) || /\.test\./.test(e)),
      [],
      'no tests',
    );
    assert.deepEqual(
      entries.filter((e) => e.startsWith('package/src/') || e.includes('/scripts/')),
      [],
      'no src/ or build scripts',
    );
  });

  test('every executor and generator in the packed manifests points at a compiled file in the tarball', () => {
    const read = (file: string) => JSON.parse(execFileSync('tar', ['xzf', tarball, '-O', `package/${file}`], { encoding: 'utf8' }));
    const pkg = read('package.json');
    assert.equal(pkg.main, './dist/index.js');
    assert.equal(pkg.devDependencies, undefined);
    assert.equal(pkg.scripts, undefined, 'no scripts (the workspace prepack guard stays behind)');
    const has = (path: string) => entries.includes(`package/${path.replace(/^\.\//, '')}`);
    const executors = Object.entries(
      read('executors.json').executors as Record<string, { implementation: string; batchImplementation?: string; schema: string }>,
    );
    const generators = Object.entries(read('generators.json').generators as Record<string, { factory: string; schema: string }>);
    assert.deepEqual(
      executors.map(([name]) => name).sort(),
      ['check', 'current', 'downgrade', 'branches', 'generate', 'heads', 'history', 'lint', 'merge', 'migrate', 'show', 'stamp', 'status', 'upgrade'].sort(),
    );
    assert.deepEqual(generators.map(([name]) => name).sort(), ['init', 'project']);
    for (const [name, e] of executors) {
      assert.ok(has(`${e.implementation}.js`), `executor ${name}: ${e.implementation}.js`);
      if (e.batchImplementation) assert.ok(has(`${e.batchImplementation}.js`), `executor ${name}: ${e.batchImplementation}.js`);
      assert.ok(has(e.schema), `executor ${name}: ${e.schema}`);
    }
    for (const [name, g] of generators) {
      assert.ok(has(`${g.factory}.js`), `generator ${name}: ${g.factory}.js`);
      assert.ok(has(g.schema), `generator ${name}: ${g.schema}`);
    }
  });

  test('installs into a brand-new Nx workspace: init (twice), project, db-migrate, db-upgrade, veloiq db current', async (t) => {
    const skip = await missingSystemPg();
    if (skip) return t.skip(skip);
    const ws = join(scratch, 'fresh-workspace');
    mkdirSync(ws);
    writeFileSync(
      join(ws, 'package.json'),
      JSON.stringify(
        {
          name: 'fresh-workspace',
          private: true,
          devDependencies: { nx: ROOT_PKG.devDependencies.nx, '@nx/devkit': ROOT_PKG.devDependencies['@nx/devkit'], '@veloiq/db': `file:${tarball}` },
          allowScripts: ROOT_PKG.allowScripts,
        },
        null,
        2,
      ) + '\n',
    );
    writeFileSync(join(ws, 'nx.json'), '{}\n');
    writeFileSync(join(ws, '.gitignore'), 'node_modules\n.nx\n.env\n.veloiq/\n');
    const sh = (cmd: string, args: string[], cwd = ws, env: NodeJS.ProcessEnv = {}) => run(cmd, args, { cwd, env: userEnv(env), timeoutMs: 180_000 });
    const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);

    const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], ws);
    // Offline with a cold npm cache, nothing can be installed: that says nothing about the package.
    if (install.code !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test(install.stderr)) {
      return t.skip(`npm could not reach the registry for what the cache lacks: ${install.stderr.split('\n').find((l) => /E[A-Z]+/.test(l))}`);
    }
    ok(install, 'npm install');
    ok(await sh('git', ['init', '-q']), 'git init');

    // init: the plugin and the rule land in nx.json; a second run changes nothing.
    ok(await sh('npx', ['nx', 'g', '@veloiq/db:init']), 'nx g @veloiq/db:init');
    const nxJson = readFileSync(join(ws, 'nx.json'), 'utf8');
    const parsed = JSON.parse(nxJson);
    assert.deepEqual(parsed.plugins, [{ plugin: '@veloiq/db' }]);
    assert.deepEqual(parsed.targetDefaults['db-migrate'].dependsOn, ['generate']);
    assert.deepEqual(parsed.targetDefaults['db-check'].dependsOn, ['generate']);
    const packageJson = readFileSync(join(ws, 'package.json'), 'utf8');
    const again = await sh('npx', ['nx', 'g', '@veloiq/db:init']);
    ok(again, 'second init');
    assert.doesNotMatch(again.stdout, /\b(CREATE|UPDATE|DELETE)\b/);
    assert.equal(readFileSync(join(ws, 'nx.json'), 'utf8'), nxJson);
    assert.equal(readFileSync(join(ws, 'package.json'), 'utf8'), packageJson);

    // A project gets a MikroORM config (project generator) and an entity; the plugin does the rest.
    mkdirSync(join(ws, 'apps/shop'), { recursive: true });
    writeFileSync(join(ws, 'apps/shop/project.json'), JSON.stringify({ name: 'shop', root: 'apps/shop', projectType: 'application' }) + '\n');
    ok(await sh('npx', ['nx', 'g', '@veloiq/db:project', 'shop']), 'nx g @veloiq/db:project shop');
    mkdirSync(join(ws, 'apps/shop/backend/src/modules/items'), { recursive: true });
    writeFileSync(join(ws, 'apps/shop/backend/src/modules/items/models.ts'), ITEM_MODELS);

    const shown = await sh('npx', ['nx', 'show', 'project', 'shop', '--json']);
    ok(shown, 'nx show project shop');
    const targets = JSON.parse(shown.stdout).targets;
    for (const name of ['generate', 'db-upgrade', 'db-migrate', 'db-downgrade', 'db-stamp', 'db-history', 'db-current', 'db-check', 'db-lint']) {
      assert.ok(targets[name], `inferred target ${name}`);
    }

    let db: TestDatabase | undefined;
    try {
      db = await createTestDatabase('vq_pack');
      const env = { DATABASE_URL: db.url };
      const migrate = await sh('npx', ['nx', 'run', 'shop:db-migrate', '-m', 'create item table'], ws, env);
      ok(migrate, 'db-migrate');
      assert.match(migrate.stdout, /nx run shop:generate/, 'generate ran first');
      const revisions = readdirSync(join(ws, 'apps/shop/backend/migrations')).filter((f) => f.endsWith('.ts'));
      assert.equal(revisions.length, 1);
      assert.match(revisions[0], /^[0-9a-z]{8}_create_item_table\.ts$/);

      const upgrade = await sh('npx', ['nx', 'run', 'shop:db-upgrade'], ws, env);
      ok(upgrade, 'nx run shop:db-upgrade');
      assert.deepEqual(await db.tables(), ['item', 'mikro_orm_migrations']);

      const current = await sh('npx', ['veloiq', 'db', 'current'], join(ws, 'apps/shop'), env);
      ok(current, 'npx veloiq db current');
      assert.match(current.stdout, new RegExp(`${revisions[0].slice(0, 8)}.*create item table`));
      assert.match(current.stdout, /head/i);
    } finally {
      await db?.drop();
    }
  });

  test("the package README's install and project steps work as written, in an empty folder", async (t) => {
    const skip = await missingSystemPg();
    if (skip) return t.skip(skip);
    const ws = join(scratch, 'readme-workspace');
    mkdirSync(ws);
    // The README installs ./veloiq-db-0.1.0.tgz: the tarball, where a user has downloaded it.
    const install = readmeBlock('## Install');
    const named = /\.\/(veloiq-db-[\d.]+\.tgz)/.exec(install)?.[1];
    assert.equal(named, basename(tarball), 'the README names the tarball npm run package makes');
    copyFileSync(tarball, join(ws, named!));
    // From the npm cache where it can (offline-friendly), as the other install test does.
    const env = { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    const sh = (script: string, extra: NodeJS.ProcessEnv = {}) =>
      run('bash', ['-e', '-c', script], { cwd: ws, env: userEnv({ ...env, ...extra }), timeoutMs: 600_000 });
    const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);

    const installed = await sh(install);
    if (installed.code !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test(installed.stderr)) {
      return t.skip(`npm could not reach the registry for what the cache lacks: ${installed.stderr.split('\n').find((l) => /E[A-Z]+/.test(l))}`);
    }
    ok(installed, 'the README install block');
    const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8'));
    assert.deepEqual(nxJson.plugins, [{ plugin: '@veloiq/db' }]);
    assert.deepEqual(nxJson.targetDefaults['db-migrate'].dependsOn, ['generate']);

    ok(await sh(readmeBlock('## Add a database to a project')), 'the README project block');
    assert.ok(existsSync(join(ws, 'apps/shop/project.json')), 'the project was created');
    assert.ok(existsSync(join(ws, 'apps/shop/backend/mikro-orm.config.ts')));
    ok(await sh('git init -q && touch apps/shop/backend/.env && git check-ignore -q apps/shop/backend/.env'), 'backend/.env is git-ignored');

    mkdirSync(join(ws, 'apps/shop/backend/src/modules/items'), { recursive: true });
    writeFileSync(join(ws, 'apps/shop/backend/src/modules/items/models.ts'), ITEM_MODELS);
    const db = await createTestDatabase('vq_readme');
    try {
      const migrate = await sh(`npx nx run shop:db-migrate -m "create item table" && npx nx run shop:db-upgrade`, { DATABASE_URL: db.url });
      ok(migrate, 'db-migrate and db-upgrade');
      assert.deepEqual(await db.tables(), ['item', 'mikro_orm_migrations']);
    } finally {
      await db.drop();
    }
  });
});
