// An existing app whose tables live in a schema of their own (`schema: 'app'` in its MikroORM
// config): the record table lives there too, as MikroORM puts it, so the first revision's down()
// must not drop that schema. Downgrading to base then works as on `public`.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { createTestDatabase, scratchApp, writeInto, type TestDatabase } from './support';

describe("an app whose config sets schema: 'app' and its own record table name", () => {
  let root: string;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };

  before(async () => {
    root = scratchApp('veloiq-schema-', { name: 'schema-app', private: true });
    writeInto(
      root,
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/postgresql';\n\n` +
        `export default defineConfig({ clientUrl: process.env.DATABASE_URL, schema: 'app', entitiesTs: ['src/**/*.entity.ts'], entities: ['dist/**/*.entity.js'], migrations: { tableName: 'schema_history' } });\n`,
    );
    writeInto(
      root,
      'src/tag.entity.ts',
      `import { EntitySchema } from '@mikro-orm/core';\n\n` +
        `export const Tag = new EntitySchema({ name: 'Tag', properties: { id: { type: 'number', primary: true }, name: { type: 'string' } } });\n`,
    );
    db = await createTestDatabase('vq_newcomer');
    o = { projectRoot: root, cwd: root, env: { DATABASE_URL: db.url } };
  });

  after(async () => {
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('migrate, upgrade, then downgrade base empties the schema and leaves the record in it', async () => {
    const migrated = await migrate({ ...o, message: 'initial' });
    assert.ok(migrated.revision);
    const file = readFileSync(join(root, migrated.revision.path), 'utf8');
    assert.match(file, /create schema if not exists "app"/);
    assert.doesNotMatch(file, /drop schema/);

    await upgrade(o);
    const tablesIn = async () =>
      (await db.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'app' order by 1`)).map((r) => r.t);
    assert.deepEqual(await tablesIn(), ['schema_history', 'tag']);

    await downgrade({ ...o, revision: 'base' });
    assert.deepEqual(await tablesIn(), ['schema_history']);
    assert.equal((await current(o)).id, null);
    await upgrade(o);
    assert.equal((await current(o)).head, true);
  });
});
