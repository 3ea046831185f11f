// An app whose config picks its migrations folder as MikroORM's docs show:
// `path: Utils.detectTsNode() ? 'src/migrations' : 'dist/migrations'`. Its CLI runs under ts-node
// (package.json `"mikro-orm": { "useTsNode": true }`), so its history is in src/migrations. Our
// commands run in a process whose entry is JavaScript (Nx's executor, `node dist/...`), where
// MikroORM's own detection answers no: they must still read the config as that CLI does.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { applyMikroOrmInitialMigration, createTestDatabase, writeInto, run, WORKSPACE, type RunResult, type TestDatabase, scratchApp } from './support';

const CONFIG = `import { defineConfig, Utils } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';

export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: ['dist/**/*.entity.js'],
  entitiesTs: ['src/**/*.entity.ts'],
  migrations: { path: Utils.detectTsNode() ? 'src/migrations' : 'dist/migrations' },
  extensions: [Migrator],
});
`;

const TAG = (extra = '') => `import { EntitySchema } from '@mikro-orm/core';

export class Tag {
  id!: number;
  name!: string;
}

export const TagSchema = new EntitySchema({
  class: Tag,
  properties: { id: { type: 'number', primary: true }, name: { type: 'string' }${extra} },
});
`;

describe('an app whose config asks Utils.detectTsNode() for its migrations folder', () => {
  let root: string;
  let db: TestDatabase;
  let theirs: string;
  /** A command in a process whose entry is a JavaScript file, as under `nx run`. */
  let command: (name: string, json?: object) => Promise<RunResult>;

  before(async () => {
    root = scratchApp('veloiq-tsnode-', { name: 'nest-like', private: true, 'mikro-orm': { useTsNode: true } });
    writeInto(root, 'src/mikro-orm.config.ts', CONFIG);
    writeInto(root, 'src/tag.entity.ts', TAG());
    db = await createTestDatabase('vq_newcomer');

    // The history MikroORM's CLI wrote under ts-node (this test process runs TypeScript too).
    theirs = await applyMikroOrmInitialMigration({ ...(await loadConfig(findProject(root))), clientUrl: db.url }, root);

    const entry = join(root, 'veloiq-entry.mjs');
    writeFileSync(entry, `await import(${JSON.stringify(join(WORKSPACE, 'packages/veloiq-db/test/run-command.ts'))});\n`);
    command = (name, json) =>
      run(process.execPath, ['--import', 'tsx', entry, name, root, ...(json ? [JSON.stringify(json)] : [])], {
        cwd: root,
        env: { DATABASE_URL: db.url },
      });
  });

  after(async () => {
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('current and history read src/migrations; migrate writes the next revision there; upgrade and downgrade follow', async () => {
    assert.deepEqual(
      readdirSync(join(root, 'src/migrations')).filter((file) => file.endsWith('.ts')),
      [`${theirs}.ts`],
    );
    const now = await command('current');
    assert.equal(now.stderr, '');
    assert.match(now.stdout, new RegExp(`^${theirs.replace(/^Migration/, '')} \\(head\\), ${theirs}\\nAt head\\.`));

    writeInto(root, 'src/tag.entity.ts', TAG(", color: { type: 'string', nullable: true }"));
    const migrated = await command('migrate', { message: 'add tag color' });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /Generated src\/migrations\/[0-9a-z]{8}_add_tag_color\.ts/);

    assert.equal((await command('upgrade')).code, 0);
    assert.deepEqual(
      (await db.query<{ c: string }>(`select column_name as c from information_schema.columns where table_name = 'tag' order by 1`)).map((r) => r.c),
      ['color', 'id', 'name'],
    );
    const listed = await command('history');
    assert.match(listed.stdout, /-> [0-9a-z]{8} \(head\) \(current\), add tag color\n<base> -> \d+[^,\n]*, Migration\d+\n/);

    assert.equal((await command('downgrade', { revision: '-1' })).code, 0);
    assert.deepEqual(await db.applied(), [theirs]);
    const checked = await command('check');
    assert.equal(checked.code, 0, checked.stderr);
  });
});
