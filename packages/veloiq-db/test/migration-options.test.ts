// MikroORM's own `migrations` options in a config written for MikroORM: honoured, or named in one line.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from '../src/commands/generate';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { UserError } from '../src/core/errors';
import { sampleWithDatabase, type SampleWithDatabase } from './support';

const EXTRA = `import { defineEntity, p } from '@mikro-orm/core';

export const Supplier = defineEntity({
  name: 'Supplier',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string(),
  },
});
`;

describe('MikroORM migration options', () => {
  let s: SampleWithDatabase;
  const lines: string[] = [];
  const config = () => join(s.project.backend, 'mikro-orm.config.ts');

  before(async () => {
    s = await sampleWithDatabase('vq_mopts');
    writeFileSync(
      config(),
      readFileSync(config(), 'utf8').replace(
        "migrations: { path: './migrations', snapshot: false },",
        "migrations: { path: './migrations', tableName: 'schema_history', emit: 'js', allOrNothing: false, disableForeignKeys: true, snapshot: true, fileName: (t: string) => t },",
      ),
    );
  });
  after(() => s.dispose());

  test("emit 'js' writes a JavaScript revision, tableName names the record, conflicting options are named", async () => {
    const o = { ...s.options, notify: (line: string) => lines.push(line) };
    await upgrade(o);
    mkdirSync(join(s.project.backend, 'src/modules/suppliers'), { recursive: true });
    writeFileSync(join(s.project.backend, 'src/modules/suppliers/models.ts'), EXTRA);
    await generate(s.options);
    const { revision } = await migrate({ ...o, message: 'add supplier' });
    assert.ok(revision);
    assert.match(revision.path, /_add_supplier\.js$/);
    const text = readFileSync(join(s.project.root, revision.path), 'utf8');
    assert.match(text, /^const \{ Migration \} = require\('@mikro-orm\/migrations'\);$/m);
    assert.doesNotMatch(text, /: Promise<void>|override /);
    assert.ok(lines.some((line) => /^migrations\.snapshot is not used: /.test(line)));
    assert.ok(lines.some((line) => /^migrations\.fileName is not used: /.test(line)));

    await upgrade(o);
    assert.ok((await s.db.tables()).includes('supplier'));
    assert.deepEqual(
      (await s.db.query<{ name: string }>('select name from schema_history order by id')).map((r) => r.name),
      readdirSync(s.project.migrations)
        .filter((file) => /\.(ts|js)$/.test(file))
        .map((file) => file.replace(/\.(ts|js)$/, ''))
        .sort(),
    );
  });

  test('allOrNothing: false commits each revision: a failing one keeps those before it', async () => {
    const dir = s.project.migrations;
    writeFileSync(
      join(dir, 'zz000001_ok.js'),
      `const { Migration } = require('@mikro-orm/migrations');\nexports.M = class extends Migration { async up() { this.addSql('create table "kept" ("id" int);'); } async down() {} };\n`,
    );
    writeFileSync(
      join(dir, 'zz000002_fails.js'),
      `const { Migration } = require('@mikro-orm/migrations');\nexports.M = class extends Migration { async up() { this.addSql('select * from "no_such_table";'); } async down() {} };\n`,
    );
    await assert.rejects(upgrade(s.options), UserError);
    assert.ok((await s.db.tables()).includes('kept'));
    assert.ok((await s.db.query<{ name: string }>('select name from schema_history')).some((r) => r.name === 'zz000001_ok'));
  });
});
