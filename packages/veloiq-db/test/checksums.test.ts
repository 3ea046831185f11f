// Checksums: each applied revision's file checksum is recorded; current, history and upgrade
// warn (naming it) when an applied file was edited or deleted, status reports it; old rows are fine.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MikroORM } from '@mikro-orm/postgresql';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { generate } from '../src/commands/generate';
import { history } from '../src/commands/history';
import { stamp } from '../src/commands/stamp';
import { status } from '../src/commands/status';
import { upgrade } from '../src/commands/upgrade';
import { fileChecksum } from '../src/core/record';
import { writeRevision } from './safety-fixtures';
import { copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

describe('revision checksums', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  let names: string[];
  let warnings: string[];
  const options = (extra: object = {}) => ({
    projectRoot: project.root,
    cwd: project.root,
    env: { DATABASE_URL: db.url },
    notify: (line: string) => warnings.push(line),
    ...extra,
  });
  const file = (name: string) => join(project.migrations, `${name}.ts`);

  beforeEach(async () => {
    project = copySample();
    writeRevision(project.migrations, 'mx000001', 'sums', ['create table "sum_item" ("id" serial primary key)']);
    names = readdirSync(project.migrations)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    db = await createTestDatabase('vq_sum');
    warnings = [];
  });
  afterEach(async () => {
    await db.drop();
    project.remove();
  });

  const recorded = () => db.query<{ name: string; checksum: string | null }>('select name, checksum from mikro_orm_migrations order by id');

  test('upgrade records each file checksum; a clean state warns about nothing', { skip }, async () => {
    await upgrade(options());
    const rows = await recorded();
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
    );
    for (const row of rows) assert.equal(row.checksum, fileChecksum(file(row.name)));
    await current(options());
    await history(options());
    assert.deepEqual(warnings, []);
  });

  test('an applied file edited afterwards: current, history, upgrade warn naming it; status reports it', { skip }, async () => {
    await upgrade(options());
    appendFileSync(file('mx000001_sums'), '// edited after it was applied\n');
    await current(options());
    await history(options());
    await upgrade(options());
    assert.equal(warnings.length, 3, warnings.join('\n'));
    for (const line of warnings)
      assert.match(
        line,
        /^Warning: applied revision mx000001 \(sums\) changed since it was applied; the database ran the old version\. If the edit was a mistake, restore the file \(git checkout\)\. If it is intended .*record the new version: veloiq db stamp mwwywzue && veloiq db stamp mx000001\./,
      );
    const state = await status(options());
    assert.deepEqual(state.edited, [{ id: 'mx000001', description: 'sums' }]);
    assert.equal(state.ok, false);
    assert.equal(state.restamp, 'veloiq db stamp mwwywzue && veloiq db stamp mx000001');
  });

  test(
    'one voice: a down() that fails on rows is fixed in place, as the failure says; the drift advice records the edit; status is clean',
    { skip },
    async () => {
      rmSync(file('mx000001_sums'));
      // Leaves the schema as the entities have it, so only the edit is left to talk about.
      const up = ['alter table "product" add column "tmp" int4 null', 'alter table "product" drop column "tmp"'];
      writeRevision(project.migrations, 'mx000001', 'sums', up, {
        down: ['alter table "product" add column "tmp" int4 not null', 'alter table "product" drop column "tmp"'],
      });
      await upgrade(options());
      await db.query(`insert into product (name, price_cents, created_at) values ('a', 1, now())`);
      const failed = await downgrade(options({ revision: -1 })).then(
        () => assert.fail('downgrade passed'),
        (e: unknown) => e,
      );
      assert.ok(failed instanceof Error);
      assert.match(
        failed.message,
        /failed to revert: .*contains null values\. Nothing was changed; fix the revision's down\(\) and run the command again \(editing an applied revision's down\(\) is fine/,
      );

      // The fix the message asks for: the column comes back nullable.
      writeRevision(project.migrations, 'mx000001', 'sums', up, {
        down: ['alter table "product" add column "tmp" int4 null', 'alter table "product" drop column "tmp"'],
      });
      // As the user's next command would (a new process), this one reads the project's files afresh.
      await generate(options());
      const drift = await status(options());
      assert.equal(drift.ok, false);
      assert.equal(drift.restamp, 'veloiq db stamp mwwywzue && veloiq db stamp mx000001');
      await stamp(options({ revision: 'mwwywzue' }));
      await stamp(options({ revision: 'mx000001' }));
      warnings = [];
      assert.equal((await status(options())).ok, true, 'the stamps recorded the edit');
      await downgrade(options({ revision: -1 }));
      assert.deepEqual(warnings, [], 'no warning at any step after the stamps');
    },
  );

  test('an applied file deleted afterwards: the warning names it; status reports it', { skip }, async () => {
    await upgrade(options());
    rmSync(file('mx000001_sums'));
    const result = await current(options());
    assert.equal(result.head, true, 'the remaining revisions are all applied');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /^Warning: mx000001_sums is recorded as applied but no revision file has that name; restore the file \(git\), or fix the record with 'veloiq db stamp/,
    );
    const state = await status(options());
    assert.deepEqual(state.missing, ['mx000001_sums']);
    assert.equal(state.ok, false);
  });

  test('rows from before checksums (no column, or null) are accepted, and the table gains the column', { skip }, async () => {
    await db.query('create table mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)');
    await db.query(
      `create table "product" ("id" serial primary key, "name" varchar(200) not null, "price_cents" int not null, "created_at" timestamptz not null)`,
    );
    await db.query(`insert into mikro_orm_migrations (name) values ($1)`, [`${names[0]}.ts`]);
    await current(options());
    assert.deepEqual(warnings, []);
    appendFileSync(file(names[0]), '// edited; but no checksum was recorded, so nothing to compare\n');
    await history(options());
    assert.deepEqual(warnings, []);
    await db.query(`drop table "product"`);
    await db.query(`delete from mikro_orm_migrations`);
    await db.query(`insert into mikro_orm_migrations (name) values ($1)`, [names[0]]);
    await db.query(
      `create table "product" ("id" serial primary key, "name" varchar(200) not null, "price_cents" int not null, "created_at" timestamptz not null)`,
    );
    const result = await upgrade(options());
    assert.equal(result.head, true);
    const rows = await recorded();
    assert.equal(rows[0].checksum, null, 'the old row stays as it was');
    assert.ok(rows.slice(1).every((r) => r.checksum?.length === 64));
  });

  test("MikroORM's own migrator still reads and writes the table", { skip }, async () => {
    await upgrade(options({ revision: names.at(-2) }));
    const orm = await MikroORM.init({
      clientUrl: db.url,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      migrations: { path: project.migrations, pathTs: project.migrations, snapshot: false },
      extensions: [(await import('@mikro-orm/migrations')).Migrator],
    });
    try {
      const migrator = orm.getMigrator();
      const executed = await migrator.getExecutedMigrations();
      assert.deepEqual(
        executed.map((m) => m.name.replace(/\.ts$/, '')),
        names.slice(0, -1),
      );
      assert.deepEqual(
        (await migrator.getPendingMigrations()).map((m) => m.name.replace(/\.ts$/, '')),
        ['mx000001_sums'],
      );
      // What MikroORM's migrator writes when it applies a revision (its own up() needs its own loader).
      await migrator.getStorage().logMigration({ name: 'mx000001_sums', context: null } as never);
      assert.equal((await migrator.getExecutedMigrations()).length, names.length);
    } finally {
      await orm.close(true);
    }
    const rows = await recorded();
    assert.equal(rows.at(-1)!.name.replace(/\.ts$/, ''), 'mx000001_sums');
    assert.equal(rows.at(-1)!.checksum, null, "MikroORM's row has no checksum");
    const state = await current(options());
    assert.equal(state.head, true);
    assert.deepEqual(warnings, []);
  });

  test('stamp records checksums too', { skip }, async () => {
    await stamp(options());
    const rows = await recorded();
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
    );
    for (const row of rows) assert.equal(row.checksum, fileChecksum(file(row.name)));
  });
});
