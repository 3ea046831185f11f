// `migrations: { emit: 'cjs' }` and `emit: 'js'`, as MikroORM 6's own migrator reads them: 'cjs'
// writes CommonJS revisions in `.cjs` files, which Node loads as CommonJS in any package (the
// fix for an ESM package, `"type": "module"`, whose `.js` files Node loads as ES modules).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { merge } from '../src/commands/merge';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { createTestDatabase, scratchApp, writeInto, type TestDatabase } from './support';

const ENTITY_ESM = `import { EntitySchema } from '@mikro-orm/core';

export const Tap = new EntitySchema({ name: 'Tap', properties: { id: { type: 'number', primary: true }, name: { type: 'string' } } });
`;

interface App {
  root: string;
  db: TestDatabase;
  o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string }; notify: (line: string) => void };
  lines: string[];
  dispose(): Promise<void>;
}

/** A JavaScript app: `package.json` with `type`, an ES module config (or CommonJS), one entity. */
async function javascriptApp(type: 'module' | 'commonjs', emit: 'js' | 'cjs'): Promise<App> {
  const root = scratchApp(`veloiq-emit-${emit}-`, { name: `emit-${emit}-app`, private: true, type });
  const options = `{ clientUrl: process.env.DATABASE_URL, entities: [Tap], migrations: { path: './migrations', emit: '${emit}' } }`;
  if (type === 'module') {
    writeInto(root, 'app/tap.entity.js', ENTITY_ESM);
    writeInto(
      root,
      'mikro-orm.config.js',
      `import { defineConfig } from '@mikro-orm/postgresql';\nimport { Tap } from './app/tap.entity.js';\n\nexport default defineConfig(${options});\n`,
    );
  } else {
    writeInto(
      root,
      'app/tap.entity.js',
      ENTITY_ESM.replace("import { EntitySchema } from '@mikro-orm/core';", "const { EntitySchema } = require('@mikro-orm/core');")
        .replace('export const Tap =', 'exports.Tap =')
        .replace(/\n$/, '\n'),
    );
    writeInto(
      root,
      'mikro-orm.config.js',
      `const { defineConfig } = require('@mikro-orm/postgresql');\nconst { Tap } = require('./app/tap.entity.js');\n\nmodule.exports = defineConfig(${options});\n`,
    );
  }
  const db = await createTestDatabase('vq_nc3_emit');
  const lines: string[] = [];
  return {
    root,
    db,
    lines,
    o: { projectRoot: root, cwd: root, env: { DATABASE_URL: db.url }, notify: (line) => lines.push(line) },
    dispose: async () => {
      await db.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

for (const type of ['module', 'commonjs'] as const) {
  describe(`emit 'cjs' in a package of type ${type}`, () => {
    let app: App;
    let first: string;
    before(async () => (app = await javascriptApp(type, 'cjs')));
    after(() => app.dispose());

    test('migrate writes a .cjs revision Node loads by itself; upgrade and downgrade run it', async () => {
      const migrated = await migrate({ ...app.o, message: 'create tap' });
      assert.ok(migrated.revision);
      assert.match(migrated.revision.path, /^migrations\/[a-z0-9]+_create_tap\.cjs$/);
      first = migrated.revision.id;
      const file = join(app.root, migrated.revision.path);
      assert.match(readFileSync(file, 'utf8'), /^const \{ Migration \} = require\('@mikro-orm\/migrations'\);$/m);
      // Plain Node, no loader of ours: what MikroORM's own migrator or the app's runtime would do.
      const exported = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(file)})).join())`], {
        cwd: app.root,
        encoding: 'utf8',
      }).trim();
      assert.equal(exported, `Migration_${migrated.revision.id}`);
      assert.deepEqual(app.lines, []);

      await upgrade(app.o);
      assert.deepEqual(await app.db.tables(), ['mikro_orm_migrations', 'tap']);
      assert.equal((await current(app.o)).head, true);
      const again = await migrate({ ...app.o, message: 'nothing' });
      assert.equal(again.revision, null);
      await downgrade({ ...app.o, revision: 'base' });
      assert.deepEqual(await app.db.tables(), ['mikro_orm_migrations']);
      assert.deepEqual(
        readdirSync(join(app.root, 'migrations')).filter((f) => !f.endsWith('.txt')),
        [migrated.revision.path.slice('migrations/'.length)],
      );
    });

    test('merge writes its revision as .cjs too', async () => {
      // A second root beside the first (the database is at base again), then the merge of both.
      const second = await migrate({ ...app.o, message: 'second root', head: 'base' });
      assert.ok(second.revision);
      const merged = await merge({ ...app.o, message: 'merge heads' });
      assert.match(merged.revision.path, /^migrations\/[a-z0-9]+_merge_heads\.cjs$/);
      const file = join(app.root, merged.revision.path);
      const exported = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(file)})).join())`], {
        cwd: app.root,
        encoding: 'utf8',
      }).trim();
      assert.equal(exported, `Migration_${merged.revision.id}`);
    });

    test("a record MikroORM's own migrator wrote, with the .cjs extension kept, names the same revisions", async () => {
      // Both roots create the same table: the first alone, as the app applied it.
      await upgrade({ ...app.o, revision: first });
      assert.equal((await app.db.applied()).length, 1);
      // MikroORM's MigrationStorage strips only .ts and .js from the names it records.
      await app.db.query(`update mikro_orm_migrations set name = name || '.cjs'`);
      const standing = await current(app.o);
      assert.equal(standing.id, first);
      assert.equal(standing.pending, 2);
      assert.deepEqual((await upgrade({ ...app.o, revision: first })).applied, []);
      await downgrade({ ...app.o, revision: 'base' });
      assert.deepEqual(await app.db.applied(), []);
      assert.deepEqual(await app.db.tables(), ['mikro_orm_migrations']);
    });
  });
}

describe("emit 'js' in a package of type module", () => {
  let app: App;
  before(async () => (app = await javascriptApp('module', 'js')));
  after(() => app.dispose());

  test('migrate keeps writing the .js revision veloiq runs, and says in one line to set emit to cjs', async () => {
    const migrated = await migrate({ ...app.o, message: 'create tap' });
    assert.ok(migrated.revision);
    assert.match(migrated.revision.path, /_create_tap\.js$/);
    assert.deepEqual(app.lines, [
      `migrations.emit 'js' writes CommonJS revisions, but package.json has "type": "module", so Node and MikroORM's own migrator cannot load them (veloiq db can): set migrations.emit to 'cjs' to write .cjs files.`,
    ]);
    // What the notice is about: plain Node loads the file as an ES module and fails.
    const file = join(app.root, migrated.revision.path);
    assert.throws(
      () => execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`], { cwd: app.root, stdio: 'pipe' }),
      /require is not defined in ES module scope/,
    );
    await upgrade(app.o);
    assert.deepEqual(await app.db.tables(), ['mikro_orm_migrations', 'tap']);
  });
});
