// An ESM app ("type": "module") whose config is a `.mts` file named by package.json's
// `"mikro-orm": { "configPaths": [...] }`, awaits at the top level, and leaves its entities to
// MIKRO_ORM_ENTITIES_TS in its .env (imports written with `.mjs` extensions, as ESM asks).
// migrate, upgrade and check run in one process: check's replay discovers the entities again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { check } from '../src/commands/check';
import { current } from '../src/commands/current';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { findProject } from '../src/core/project';
import { createTestDatabase, writeInto, WORKSPACE, type TestDatabase } from './support';

describe('an ESM app with a .mts config in configPaths and its entities in MIKRO_ORM_ENTITIES_TS', () => {
  let root: string;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'veloiq-esm-mts-'));
    symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
    db = await createTestDatabase('vq_newcomer');
    writeInto(root, 'package.json', JSON.stringify({ name: 'esm-app', type: 'module', 'mikro-orm': { configPaths: ['./src/config/orm.config.mts'] } }));
    writeInto(root, '.env', `MIKRO_ORM_CLIENT_URL=${db.url}\nMIKRO_ORM_ENTITIES=./dist/**/*.entity.mjs\nMIKRO_ORM_ENTITIES_TS=./src/**/*.entity.mts\n`);
    writeInto(
      root,
      'src/config/orm.config.mts',
      `import { defineConfig } from '@mikro-orm/postgresql';\n` +
        `const { Migrator } = await import('@mikro-orm/migrations');\n` +
        `export default defineConfig({ extensions: [Migrator] });\n`,
    );
    writeInto(root, 'src/modules/base.mts', `export abstract class Base {\n  id!: number;\n}\n`);
    writeInto(
      root,
      'src/modules/tag.entity.mts',
      `import { EntitySchema } from '@mikro-orm/core';\nimport { Base } from './base.mjs';\n\n` +
        `export class Tag extends Base {\n  name!: string;\n}\n\n` +
        `export const TagSchema = new EntitySchema({ class: Tag, properties: { id: { type: 'number', primary: true }, name: { type: 'string' } } });\n`,
    );
    o = { projectRoot: root, cwd: root };
  });

  after(async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('MIKRO_ORM_')) delete process.env[key];
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('the config is found; migrate, upgrade and check work on the entities the .env names', async () => {
    assert.equal(findProject(root).configPath, join(root, 'src/config/orm.config.mts'));
    const migrated = await migrate({ ...o, message: 'initial' });
    assert.match(migrated.revision?.path ?? '', /^src\/migrations\/[0-9a-z]{8}_initial\.ts$/);
    await upgrade(o);
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'tag']);
    assert.equal((await current(o)).head, true);
    assert.deepEqual((await check(o)).changes, []);
  });
});
