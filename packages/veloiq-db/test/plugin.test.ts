// The Nx side: inferred targets (createNodes, through real `nx show project`), and the init and
// project generators (on Nx's in-memory tree, and idempotence checked byte for byte).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readJson, readNxJson, updateNxJson, writeJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as entry from '../src/index';
import { initGenerator } from '../src/generators/init/generator';
import { projectGenerator } from '../src/generators/project/generator';
import { createNodes, createNodesV2, DEFAULT_TARGET_NAMES } from '../src/plugin/plugin';
import { nx, WORKSPACE } from './support';

/** A target default's dependsOn (Nx also allows a list of defaults per target, which we never write). */
function dependsOn(nxJson: NxJsonConfiguration | null, target: string): unknown {
  const defaults = nxJson?.targetDefaults?.[target];
  return Array.isArray(defaults) ? defaults : defaults?.dependsOn;
}

const ALL_TARGETS = [
  'generate',
  'db-upgrade',
  'db-migrate',
  'db-downgrade',
  'db-stamp',
  'db-heads',
  'db-branches',
  'db-show',
  'db-merge',
  'db-history',
  'db-current',
  'db-check',
  'db-status',
  'db-lint',
];
const CACHED = new Set(['generate', 'db-check', 'db-lint']);

/** A scratch folder laid out as a workspace; files given relative to it. */
function scratchWorkspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-plugin-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

const scratches: string[] = [];
after(() => scratches.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('createNodes', () => {
  test('is exported under the current and the V2 name, from the package entry too', () => {
    assert.equal(createNodesV2, createNodes);
    assert.equal(entry.createNodes, createNodes);
    assert.equal(entry.createNodesV2, createNodes);
    assert.match(createNodes[0], /mikro-orm\.config/);
  });

  test('a config in backend/ or in the project root makes a project; a stray config does not', async () => {
    const root = scratchWorkspace({
      'apps/a/project.json': '{"name":"a"}',
      'apps/a/backend/mikro-orm.config.ts': '',
      'libs/b/package.json': '{"name":"b"}',
      'libs/b/mikro-orm.config.js': '',
      'tools/stray/mikro-orm.config.ts': '',
    });
    scratches.push(root);
    const files = ['apps/a/backend/mikro-orm.config.ts', 'libs/b/mikro-orm.config.js', 'tools/stray/mikro-orm.config.ts'];
    const results = await createNodes[1](files, undefined, { workspaceRoot: root, nxJsonConfiguration: {} });
    const projects = Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
    assert.deepEqual(Object.keys(projects).sort(), ['apps/a', 'libs/b']);
    const a = projects['apps/a'].targets!;
    assert.deepEqual(Object.keys(a), ALL_TARGETS);
    for (const name of ALL_TARGETS) {
      assert.equal(a[name].cache, CACHED.has(name), `${name} cache`);
      assert.ok((a[name].metadata?.description ?? '').length > 20, `${name} has a description`);
    }
    assert.deepEqual(a['db-migrate'].dependsOn, ['generate']);
    assert.deepEqual(a['db-check'].dependsOn, ['generate']);
    assert.deepEqual(a.generate.outputs, ['{projectRoot}/backend/src/generated']);
    assert.ok(a['db-check'].inputs!.includes('{projectRoot}/backend/**/*'), 'migrations and entities are check inputs');
    // check answers from files alone; what a live database ran is db-status's question, never cached.
    assert.ok(!JSON.stringify(a['db-check'].inputs).includes('DATABASE_URL'), 'the database URL is no check input');
    assert.ok(a.generate.inputs!.includes('!{projectRoot}/backend/migrations/**/*'), 'a new revision does not invalidate generate');
    assert.ok(a.generate.inputs!.includes('!{projectRoot}/backend/src/generated/**/*'), 'generate does not hash its own output');
    assert.deepEqual(a['db-lint'].dependsOn, undefined, 'lint reads the revisions alone: no generate first');
    assert.ok(
      a['db-lint'].inputs!.includes('{projectRoot}/backend/migrations/**/*') && !a['db-lint'].inputs!.some((i) => typeof i === 'object'),
      'migrations are lint inputs, no database',
    );
    const b = projects['libs/b'].targets!;
    assert.deepEqual(b.generate.outputs, ['{projectRoot}/src/generated'], 'config in the project root: paths from the root');
  });

  test('an existing MikroORM app: its config where MikroORM looks (src/, package.json configPaths, git-ignored) makes a project; dist/ copies do not', async () => {
    const root = scratchWorkspace({
      // a NestJS-style app: src/mikro-orm.config.ts, revisions under src/migrations
      'apps/nest/package.json': '{"name":"nest"}',
      'apps/nest/src/mikro-orm.config.ts': '',
      'apps/nest/dist/mikro-orm.config.js': '',
      // an Express-style app whose package.json names its config, as MikroORM's CLI reads it
      'apps/express/package.json': '{"name":"express","mikro-orm":{"configPaths":["./app/mikro-orm.config.ts","./dist/mikro-orm.config.js"]}}',
      'apps/express/app/mikro-orm.config.ts': '',
      // a second config the project does not use
      'apps/both/project.json': '{"name":"both"}',
      'apps/both/backend/mikro-orm.config.ts': '',
      'apps/both/src/mikro-orm.config.ts': '',
      // a project without a database
      'apps/web/package.json': '{"name":"web"}',
    });
    scratches.push(root);
    const files = [
      'apps/nest/src/mikro-orm.config.ts',
      'apps/nest/dist/mikro-orm.config.js',
      'apps/express/app/mikro-orm.config.ts',
      'apps/both/backend/mikro-orm.config.ts',
      'apps/both/src/mikro-orm.config.ts',
      // what Nx's glob shows of a project whose config is git-ignored: its project file alone
      'apps/nest/package.json',
      'apps/web/package.json',
    ];
    const results = await createNodes[1](files, undefined, { workspaceRoot: root, nxJsonConfiguration: {} });
    const owner = Object.fromEntries(results.map(([file, r]) => [file, Object.keys(r.projects ?? {})[0]]));
    assert.deepEqual(owner, {
      'apps/nest/src/mikro-orm.config.ts': 'apps/nest',
      'apps/nest/dist/mikro-orm.config.js': undefined,
      'apps/express/app/mikro-orm.config.ts': 'apps/express',
      'apps/both/backend/mikro-orm.config.ts': 'apps/both',
      'apps/both/src/mikro-orm.config.ts': undefined,
      'apps/nest/package.json': 'apps/nest',
      'apps/web/package.json': undefined,
    });
    const nest = results[0][1].projects!['apps/nest'].targets!;
    assert.ok(nest['db-lint'].inputs!.includes('{projectRoot}/**/*'), 'revisions may be anywhere migrations.path says: every project file is a lint input');
  });

  test('target names come from the plugin options, and dependsOn follows them', async () => {
    const root = scratchWorkspace({ 'apps/a/project.json': '{"name":"a"}', 'apps/a/backend/mikro-orm.config.ts': '' });
    scratches.push(root);
    const options = { generateTargetName: 'codegen', migrateTargetName: 'migration-new', upgradeTargetName: 'migrate-up' };
    const [[, result]] = await createNodes[1](['apps/a/backend/mikro-orm.config.ts'], options, { workspaceRoot: root, nxJsonConfiguration: {} });
    const targets = result.projects!['apps/a'].targets!;
    assert.ok(targets.codegen && targets['migration-new'] && targets['migrate-up'] && targets['db-check']);
    assert.equal(targets.generate, undefined);
    assert.deepEqual(targets['migration-new'].dependsOn, ['codegen']);
    assert.deepEqual(targets['db-check'].dependsOn, ['codegen']);
    assert.equal(Object.keys(targets).length, Object.keys(DEFAULT_TARGET_NAMES).length);
  });
});

describe('nx show project (real Nx)', () => {
  test('sample lists the db targets with descriptions, caching only generate, db-check and db-lint', async () => {
    const result = await nx(['show', 'project', 'sample', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { targets } = JSON.parse(result.stdout);
    for (const name of ALL_TARGETS) {
      assert.ok(targets[name], `target ${name}`);
      assert.equal(targets[name].executor, `@veloiq/db:${name === 'generate' ? 'generate' : name.slice(3)}`);
      assert.equal(Boolean(targets[name].cache), CACHED.has(name), `${name} cache`);
      assert.ok(targets[name].metadata?.description, `${name} description`);
    }
    assert.ok(targets['db-migrate'].dependsOn.includes('generate'));
    assert.ok(targets['db-check'].dependsOn.includes('generate'));
    assert.ok(targets.serve, 'and what the plugin does not infer, from project.json');
  });

  test('apps/sample and apps/billing declare no db target themselves: all come from the plugin', () => {
    for (const app of ['sample', 'billing']) {
      const declared = Object.keys(JSON.parse(readFileSync(join(WORKSPACE, 'apps', app, 'project.json'), 'utf8')).targets ?? {});
      assert.deepEqual(
        declared.filter((name) => ALL_TARGETS.includes(name)),
        [],
        `${app}/project.json`,
      );
    }
  });

  test('in a separate workspace: options rename targets, and an explicit project.json target still overrides', async () => {
    const root = scratchWorkspace({
      'nx.json': JSON.stringify({ plugins: [{ plugin: '@veloiq/db', options: { upgradeTargetName: 'migrate-up' } }] }),
      'package.json': '{"name":"scratch","private":true}',
      // Nx registers its TypeScript transpiler for a .ts plugin only when the workspace has a tsconfig.
      'tsconfig.base.json': JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'ES2022', esModuleInterop: true } }),
      'apps/a/project.json': JSON.stringify({
        name: 'a',
        targets: { 'db-current': { options: { json: true } }, 'db-history': { executor: 'nx:noop' } },
      }),
      'apps/a/backend/mikro-orm.config.ts': 'export default {};\n',
    });
    scratches.push(root);
    symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
    const result = await nx(['show', 'project', 'a', '--json'], { cwd: root });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const { targets } = JSON.parse(result.stdout);
    assert.ok(targets['migrate-up'], 'renamed upgrade target');
    assert.equal(targets['db-upgrade'], undefined);
    assert.equal(targets['db-current'].executor, '@veloiq/db:current', 'inferred executor kept');
    assert.deepEqual(targets['db-current'].options, { json: true }, 'project.json options merged in');
    assert.equal(targets['db-history'].executor, 'nx:noop', 'project.json executor wins');
  });
});

describe('generators', () => {
  function snapshot(tree: Tree): string {
    return tree.read('nx.json', 'utf-8')! + tree.read('package.json', 'utf-8')!;
  }

  test('init adds the plugin, the rule and the package; a second run changes nothing', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, { skipInstall: true });
    const nxJson = readNxJson(tree)!;
    assert.deepEqual(
      nxJson.plugins?.filter((p) => (typeof p === 'string' ? p : p.plugin) === '@veloiq/db'),
      [{ plugin: '@veloiq/db' }],
    );
    assert.deepEqual(dependsOn(nxJson, 'db-migrate'), ['generate']);
    assert.deepEqual(dependsOn(nxJson, 'db-check'), ['generate']);
    assert.match(readJson(tree, 'package.json').devDependencies['@veloiq/db'], /^\^\d+\.\d+\.\d+/);

    const before = snapshot(tree);
    const changesBefore = tree.listChanges().length;
    const second = createTreeWithEmptyWorkspace();
    // Replay the first result on a fresh tree, then run init again: nothing may be written.
    second.write('nx.json', tree.read('nx.json')!);
    second.write('package.json', tree.read('package.json')!);
    second.write('.gitignore', tree.read('.gitignore')!);
    const written = second.listChanges().length;
    await initGenerator(second, { skipInstall: true });
    assert.equal(second.listChanges().length, written, 'second run writes no file');
    assert.equal(snapshot(second), before);
    assert.ok(changesBefore > 0);
  });

  test('init keeps existing settings, a version the user chose, and follows renamed targets', async () => {
    const tree = createTreeWithEmptyWorkspace();
    updateNxJson(tree, {
      ...readNxJson(tree),
      plugins: [{ plugin: '@veloiq/db', options: { generateTargetName: 'codegen', migrateTargetName: 'migration-new' } }],
      targetDefaults: { 'migration-new': { dependsOn: ['^build'], cache: false } },
    });
    writeJson(tree, 'package.json', { name: 'x', dependencies: { '@veloiq/db': 'file:./veloiq-db-0.1.0.tgz' } });
    await initGenerator(tree, { skipInstall: true });
    const nxJson = readNxJson(tree)!;
    assert.equal(nxJson.plugins?.length, 1);
    assert.deepEqual(nxJson.targetDefaults?.['migration-new'], { dependsOn: ['^build', 'codegen'], cache: false });
    assert.deepEqual(dependsOn(nxJson, 'db-check'), ['codegen']);
    assert.deepEqual(readJson(tree, 'package.json'), { name: 'x', dependencies: { '@veloiq/db': 'file:./veloiq-db-0.1.0.tgz' } });
  });

  test('init handles the Nx 23 array form of targetDefaults (filtered entries plus a baseline)', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const filtered = { filter: { projects: ['billing'] }, options: { json: true } };
    updateNxJson(tree, { ...readNxJson(tree), targetDefaults: { 'db-check': [filtered] } });
    await initGenerator(tree, { skipInstall: true });
    assert.deepEqual(readNxJson(tree)!.targetDefaults!['db-check'], [{ dependsOn: ['generate'] }, filtered]);
    const once = tree.read('nx.json', 'utf-8');
    await initGenerator(tree, { skipInstall: true });
    assert.equal(tree.read('nx.json', 'utf-8'), once);
  });

  test('init leaves package.json alone when @veloiq/db is a package of the workspace itself', async () => {
    const tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'package.json', { name: 'ws', workspaces: ['packages/*'] });
    writeJson(tree, 'packages/veloiq-db/package.json', { name: '@veloiq/db', version: '0.1.0' });
    await initGenerator(tree, { skipInstall: true });
    assert.deepEqual(readJson(tree, 'package.json'), { name: 'ws', workspaces: ['packages/*'] });
  });

  test('project adds a MikroORM config, migrations/ and .env.example, and never overwrites', async () => {
    const tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'apps/shop/project.json', { name: 'shop', root: 'apps/shop' });
    await projectGenerator(tree, { project: 'shop' });
    for (const file of ['mikro-orm.config.ts', '.env.example', 'migrations/.gitkeep', 'src/generated/entities.ts']) {
      assert.ok(tree.exists(`apps/shop/backend/${file}`), file);
    }
    assert.match(tree.read('apps/shop/backend/mikro-orm.config.ts', 'utf-8')!, /dbName: process\.env\.DATABASE_URL \? undefined : "shop"/);
    tree.write('apps/shop/backend/mikro-orm.config.ts', '// mine\n');
    await projectGenerator(tree, { project: 'shop' });
    assert.equal(tree.read('apps/shop/backend/mikro-orm.config.ts', 'utf-8'), '// mine\n');
  });

  test('project on an existing MikroORM app (config in src/) adds nothing: no second config under backend/', async () => {
    const tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'apps/nest/project.json', { name: 'nest', root: 'apps/nest' });
    tree.write('apps/nest/src/mikro-orm.config.ts', '// theirs\n');
    await projectGenerator(tree, { project: 'nest' });
    assert.deepEqual(tree.children('apps/nest').sort(), ['project.json', 'src']);
  });

  test('init on a MikroORM app at the workspace root gives its package.json "nx": {} (a project), once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'package.json', { name: 'realworld', dependencies: { '@mikro-orm/core': '6.6.16' } });
    tree.write('src/mikro-orm.config.ts', '// theirs\n');
    await initGenerator(tree, { skipInstall: true, skipPackageJson: true });
    assert.deepEqual(readJson(tree, 'package.json').nx, {});
    const before = tree.read('package.json', 'utf-8');
    await initGenerator(tree, { skipInstall: true, skipPackageJson: true });
    assert.equal(tree.read('package.json', 'utf-8'), before);

    const plain = createTreeWithEmptyWorkspace();
    writeJson(plain, 'package.json', { name: 'monorepo' });
    await initGenerator(plain, { skipInstall: true, skipPackageJson: true });
    assert.equal(readJson(plain, 'package.json').nx, undefined, 'a root without a MikroORM config stays no project');
  });

  test("init git-ignores Nx's .nx/ folder once, unless a line already ignores it", async () => {
    const cases: [string | undefined, string][] = [
      [undefined, '.nx/\n'],
      ['node_modules', 'node_modules\n.nx/\n'],
      ['node_modules\n/.nx\n', 'node_modules\n/.nx\n'],
      ['.nx/cache\n.nx/workspace-data\n', '.nx/cache\n.nx/workspace-data\n'],
      ['.nx/cache\n', '.nx/cache\n.nx/\n'],
    ];
    for (const [before, after] of cases) {
      const tree = createTreeWithEmptyWorkspace();
      if (before === undefined) tree.delete('.gitignore');
      else tree.write('.gitignore', before);
      await initGenerator(tree, { skipInstall: true });
      await initGenerator(tree, { skipInstall: true });
      assert.equal(tree.read('.gitignore', 'utf-8'), after, `from ${JSON.stringify(before)}`);
    }
  });

  test('init in a workspace without nx.json writes one', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.delete('nx.json');
    await initGenerator(tree, { skipInstall: true });
    assert.deepEqual(dependsOn(readNxJson(tree), 'db-migrate'), ['generate']);
  });

  test('project with a name no Nx project has creates it at apps/<name>; backend/.gitignore keeps .env out of git', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('apps/billing/backend/.gitignore', 'dist');
    await projectGenerator(tree, { project: 'billing' });
    assert.equal(readJson(tree, 'apps/billing/project.json').name, 'billing');
    assert.ok(tree.exists('apps/billing/backend/mikro-orm.config.ts'));
    assert.equal(tree.read('apps/billing/backend/.gitignore', 'utf-8'), 'dist\n.env\n.env.*\n!.env.example\n');
    await projectGenerator(tree, { project: 'billing' });
    assert.equal(tree.read('apps/billing/backend/.gitignore', 'utf-8'), 'dist\n.env\n.env.*\n!.env.example\n');
  });
});
