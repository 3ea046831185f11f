// Long upgrades take the fast paths (revision files compiled together in the background, several
// revisions' statements in one round trip); these tests hold them to the behaviour of the plain
// paths.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { downgrade } from '../src/commands/downgrade';
import { upgrade } from '../src/commands/upgrade';
import { UserError, describeError } from '../src/core/errors';
import { copySample, createTestDatabase, type TestDatabase, type TestProject } from './support';

/**
 * Enough for two background compile chunks (25, then the rest) and two statement batches (two
 * statements a revision, ~100 a batch), so revisions run on both sides of each boundary.
 */
const COUNT = 60;

/** Each test writes new files: a module is loaded once per path in a process, as under Nx. */
let round = 0;
const idOf = (i: number) => `m${round}${String(i).padStart(6, '0')}`;

function revision(i: number, up: string[], extra = ''): string {
  return [
    `/**`,
    ` * create bulk table ${i}`,
    ` */`,
    `import { Migration } from '@mikro-orm/migrations';`,
    extra,
    `export class Migration_${idOf(i)} extends Migration {`,
    `  override async up(): Promise<void> {`,
    ...up.map((sql) => `    this.addSql(${JSON.stringify(sql)});`),
    `  }`,
    `  override async down(): Promise<void> {`,
    `    this.addSql('drop table if exists "bulk_${i}" cascade;');`,
    `  }`,
    `}`,
    ``,
  ].join('\n');
}

const tableSql = (i: number) => [
  `create table "bulk_${i}" ("id" serial primary key, "name" varchar(50) not null); -- a comment at the end`,
  `create index "bulk_${i}_name_index" on "bulk_${i}" ("name")`,
];

async function failsWith(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected the command to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserError, `expected a UserError, got ${describeError(error)}`);
  return error.message;
}

describe('long upgrades', () => {
  let project: TestProject;
  let db: TestDatabase;
  const options = () => ({ projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } });

  before(async () => {
    project = copySample();
    // One database for the file: the project's config module, and so its URL, is loaded once.
    db = await createTestDatabase('vq_bulk');
  });
  beforeEach(async () => {
    round += 1;
    for (const file of readdirSync(project.migrations)) rmSync(join(project.migrations, file));
    for (let i = 1; i <= COUNT; i++) writeFileSync(join(project.migrations, `${idOf(i)}_create_bulk_${i}.ts`), revision(i, tableSql(i)));
    await db.query('drop schema public cascade; create schema public');
  });
  after(async () => {
    await db.drop();
    project.remove();
  });

  test(`${COUNT} revisions of several statements apply in order, with their indexes, and revert`, async () => {
    const result = await upgrade(options());
    assert.equal(result.applied.length, COUNT);
    assert.deepEqual(
      await db.applied(),
      Array.from({ length: COUNT }, (_, k) => `${idOf(k + 1)}_create_bulk_${k + 1}`),
    );
    const indexes = await db.query<{ n: number }>(`select count(*)::int as n from pg_indexes where indexname like 'bulk\\_%\\_name\\_index'`);
    assert.equal(indexes[0].n, COUNT);
    await downgrade({ ...options(), revision: 'base' });
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations']);
  });

  test('a failing statement in the middle of a revision is named, as statement by statement, and nothing stays', async () => {
    // In the second compile chunk and the second batch: the first batch was sent and succeeded.
    writeFileSync(
      join(project.migrations, `${idOf(53)}_create_bulk_53.ts`),
      revision(53, ['create table "bulk_53" (id int);', 'alter table "no_such_table" add column "x" int;', 'create table "bulk_53b" (id int);']),
    );
    const message = await failsWith(upgrade(options()));
    assert.match(
      message,
      new RegExp(
        `^Revision ${idOf(53)} \\(create bulk table 53\\) failed to apply: alter table "no_such_table" add column "x" int; - relation "no_such_table" does not exist\\. Nothing was changed`,
      ),
    );
    assert.deepEqual(await db.tables(), [], 'the whole run was rolled back');
  });

  test('a revision that reads the database in up() sees every revision before it applied', async () => {
    const counting = `select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name ~ '^bulk_[0-9]+$'`;
    const reads = (i: number, how: string) =>
      revision(i, []).replace(
        'override async up(): Promise<void> {',
        () =>
          `override async up(): Promise<void> {\n    const [{ n }] = ${how};\n    this.addSql(\`create table "bulk_${i}" (id int); create table "seen_${i}_\${n}" (id int)\`);`,
      );
    writeFileSync(join(project.migrations, `${idOf(14)}_create_bulk_14.ts`), reads(14, `await this.execute(${JSON.stringify(counting)})`));
    writeFileSync(join(project.migrations, `${idOf(55)}_create_bulk_55.ts`), reads(55, `await this.getEntityManager().execute(${JSON.stringify(counting)})`));
    const result = await upgrade(options());
    assert.equal(result.applied.length, COUNT);
    const tables = await db.tables();
    assert.ok(tables.includes('seen_14_13'), `revision 14 saw the 13 tables before it: ${tables.filter((t) => t.startsWith('seen'))}`);
    assert.ok(tables.includes('seen_55_54'), `revision 55 saw the 54 tables before it: ${tables.filter((t) => t.startsWith('seen'))}`);
  });

  test('--sql writes each statement on its own, as the revision declares it', async () => {
    const result = await upgrade({ ...options(), sql: true });
    assert.doesNotMatch(result.sql, /savepoint/i);
    assert.equal(result.sql.match(/^create index "bulk_\d+_name_index" on "bulk_\d+" \("name"\);$/gm)?.length, COUNT);
  });

  test('a revision that does not compile is named as when loaded alone', async () => {
    writeFileSync(join(project.migrations, `${idOf(7)}_create_bulk_7.ts`), revision(7, tableSql(7)).replace('override async up()', 'override async up( {'));
    const message = await failsWith(upgrade(options()));
    assert.match(message, new RegExp(`^Revision ${idOf(7)} \\(${idOf(7)}_create_bulk_7\\) cannot be loaded: .*Fix the file and try again\\.$`));
    assert.deepEqual(await db.tables(), []);
  });

  test('a revision importing a TypeScript helper of the project still loads', async () => {
    writeFileSync(
      join(project.migrations, '..', 'bulk-helper.ts'),
      `export const helperSql = (name: string): string => \`create table "\${name}" (id int)\`;\n`,
    );
    writeFileSync(
      join(project.migrations, `${idOf(5)}_create_bulk_5.ts`),
      revision(5, [], `import { helperSql } from '../bulk-helper';`).replace(
        'override async up(): Promise<void> {',
        `override async up(): Promise<void> {\n    this.addSql(helperSql('bulk_5'));`,
      ),
    );
    const result = await upgrade(options());
    assert.equal(result.applied.length, COUNT);
    assert.ok((await db.tables()).includes('bulk_5'));
  });
});
