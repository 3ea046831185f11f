// An Nx monorepo whose MikroORM config lives in a library (libs/database, project.json only, the
// packages in the root package.json). Its scripts run MikroORM's CLI from the workspace root
// (`mikro-orm migration:up --config libs/database/src/mikro-orm.config.ts`), as `nx serve` runs
// the app, so the config names its folders from there: `migrations.path:
// 'libs/database/src/migrations'`. The commands read them as that CLI does, from the project root,
// from the library's folder, and for entities kept in another library.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { history } from '../src/commands/history';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { check } from '../src/commands/check';
import { appBaseDir } from '../src/core/app-base-dir';
import { loadConfig } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { applyMikroOrmInitialMigration, createTestDatabase, writeInto, WORKSPACE, type TestDatabase } from './support';

const CONFIG = (entitiesTs: string) => `import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';

export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: ['dist/libs/database/entities/*.js'],
  entitiesTs: ['${entitiesTs}'],
  migrations: { path: 'libs/database/src/migrations' },
  extensions: [Migrator],
});
`;

const POLL = (extra = '') => `import { EntitySchema } from '@mikro-orm/core';

export const Poll = new EntitySchema({
  name: 'Poll',
  properties: { id: { type: 'number', primary: true }, title: { type: 'string' }${extra} },
});
`;

function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-monorepo-'));
  symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeInto(root, 'package.json', JSON.stringify({ name: '@poll/source', private: true }));
  writeInto(root, 'nx.json', JSON.stringify({ plugins: ['@veloiq/db'] }));
  writeInto(root, 'libs/database/project.json', JSON.stringify({ name: 'database', sourceRoot: 'libs/database/src' }));
  return root;
}

describe('an Nx library holding the config, its paths named from the workspace root', () => {
  let root: string;
  let lib: string;
  let db: TestDatabase;
  let theirs: string;

  before(async () => {
    root = workspace();
    lib = join(root, 'libs/database');
    writeInto(lib, 'src/mikro-orm.config.ts', CONFIG('libs/database/src/entities/*.ts'));
    writeInto(lib, 'src/entities/poll.entity.ts', POLL());
    db = await createTestDatabase('vq_newcomer');
    process.env.DATABASE_URL = db.url;
    // Their history, written and applied by MikroORM's CLI from the workspace root.
    theirs = await applyMikroOrmInitialMigration(await loadConfig(findProject(lib)), root);
  });

  after(async () => {
    delete process.env.DATABASE_URL;
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('current finds their applied history from the workspace root and from the library folder', async () => {
    assert.deepEqual(
      readdirSync(join(lib, 'src/migrations')).filter((file) => file.endsWith('.ts')),
      [`${theirs}.ts`],
    );
    for (const cwd of [root, lib, join(lib, 'src')]) {
      const now = await current({ projectRoot: lib, cwd });
      assert.equal(now.id, theirs.replace(/^Migration/, ''), `from ${cwd}`);
      assert.equal(now.head, true);
    }
  });

  test('migrate writes the next revision beside theirs; upgrade, history, downgrade and check follow', async () => {
    const o = { projectRoot: lib, cwd: lib };
    writeInto(lib, 'src/entities/poll.entity.ts', POLL(", endsAt: { type: 'Date', nullable: true }"));
    const migrated = await migrate({ ...o, message: 'add poll end' });
    assert.match(migrated.revision?.path ?? '', /^libs\/database\/src\/migrations\/[0-9a-z]{8}_add_poll_end\.ts$/);
    await upgrade(o);
    assert.deepEqual(
      (await db.query<{ c: string }>(`select column_name as c from information_schema.columns where table_name = 'poll' order by 1`)).map((r) => r.c),
      ['ends_at', 'id', 'title'],
    );
    assert.deepEqual(
      (await history(o)).revisions.map((r) => r.description),
      [theirs, 'add poll end'],
    );
    await downgrade({ ...o, revision: '-1' });
    assert.deepEqual(await db.applied(), [theirs]);
    assert.deepEqual((await check(o)).changes, []);
  });
});

describe('appBaseDir: where an existing app reads its relative paths', () => {
  const cases: { name: string; files: string[]; config: object; from: 'workspace' | 'project' }[] = [
    {
      name: 'the project has its own package.json',
      files: ['libs/database/package.json'],
      config: { migrations: { path: 'libs/database/m' } },
      from: 'project',
    },
    {
      name: "a path names the project's folder from the workspace root",
      files: [],
      config: { migrations: { path: './libs/database/src/migrations' } },
      from: 'workspace',
    },
    { name: 'entities kept in another library', files: ['libs/entities/src/a.ts'], config: { entitiesTs: ['libs/entities/src/**/*.ts'] }, from: 'workspace' },
    { name: "paths from the project's own folder", files: ['libs/database/src/a.ts'], config: { entitiesTs: ['src/**/*.ts'] }, from: 'project' },
    {
      name: "the workspace's dist/ beside the project's own src/",
      files: ['dist/x.js', 'libs/database/src/a.ts'],
      config: { entities: ['dist/**/*.js'], entitiesTs: ['src/**/*.ts'] },
      from: 'project',
    },
    { name: 'only globs from anywhere', files: [], config: { entitiesTs: ['**/*.entity.ts'] }, from: 'project' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const root = mkdtempSync(join(tmpdir(), 'veloiq-basedir-'));
      try {
        writeInto(root, 'package.json', '{}');
        writeInto(root, 'libs/database/project.json', '{}');
        for (const file of c.files) writeInto(root, file, '');
        const project = {
          root: join(root, 'libs/database'),
          backendDir: join(root, 'libs/database'),
          configPath: join(root, 'libs/database/mikro-orm.config.ts'),
        };
        assert.equal(appBaseDir(c.config, project), c.from === 'workspace' ? root : project.root);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
