// A run with a transaction per revision sends many revisions in one round trip, each claimed
// inside its own transaction: a revision that another writer recorded after the run read the
// record is refused before its statements run, never applied twice. Claimed by its own record
// row where the record's unique index refuses a second one, by a lookup of its names where the
// index is missing (a user that does not own the table cannot add it), and also by its `.cjs`
// name for a `.cjs` revision (as MikroORM's own migrator records it). Real PostgreSQL.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runEngine, writeRevision } from './safety-fixtures';
import { adminQuery, copySample, createTestDatabase, missingSystemPg, SYSTEM_PG, type TestDatabase, type TestProject } from './support';

const COUNT = 30;
/** The revision that records RECORDED behind the run's back, and RECORDED itself. */
const WRITER = 5;
const RECORDED = 20;

const id = (n: number) => `mx0000${String(n).padStart(2, '0')}`;
const nameOf = (n: number) => `${id(n)}_counted_${n}`;

/** A CommonJS revision file, as `emit: 'cjs'` projects have them. */
function writeCjsRevision(migrations: string, n: number, sql: string): void {
  rmSync(join(migrations, `${nameOf(n)}.ts`));
  writeFileSync(
    join(migrations, `${nameOf(n)}.cjs`),
    `/**
 * counted ${n}
 *
 * Revision: ${id(n)}
 */
const { Migration } = require('@mikro-orm/migrations');

class Migration_${id(n)} extends Migration {
  async up() {
    this.addSql(${JSON.stringify(sql)});
  }

  async down() {}
}
exports.Migration_${id(n)} = Migration_${id(n)};
`,
  );
}

describe('a revision recorded by another writer mid-run (--transaction-per-migration)', async () => {
  const skip = await missingSystemPg();
  const projects: TestProject[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];

  /**
   * The sample with COUNT revisions that each count their runs in claim_runs; WRITER also records
   * RECORDED as another run would, while this run goes on, after it read the record.
   */
  function project(recorded: { cjs: boolean }): TestProject {
    const copy = copySample();
    projects.push(copy);
    writeRevision(copy.migrations, id(0), 'runs_table', ['create table claim_runs (rev int not null)']);
    for (let n = 1; n <= COUNT; n++) writeRevision(copy.migrations, id(n), `counted_${n}`, [`insert into claim_runs (rev) values (${n})`]);
    if (recorded.cjs) writeCjsRevision(copy.migrations, RECORDED, `insert into claim_runs (rev) values (${RECORDED})`);
    writeRevision(copy.migrations, id(WRITER), `counted_${WRITER}`, [
      `insert into claim_runs (rev) values (${WRITER})`,
      `insert into mikro_orm_migrations (name) values ('${nameOf(RECORDED)}${recorded.cjs ? '.cjs' : ''}')`,
    ]);
    return copy;
  }

  after(async () => {
    for (const done of cleanup) await done();
    for (const copy of projects) copy.remove();
  });

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase('vq_claim');
    cleanup.push(() => db.drop());
    return db;
  }

  async function refusedAt(root: string, db: TestDatabase, env: NodeJS.ProcessEnv): Promise<void> {
    const result = await runEngine('upgrade', root, { transactionPerMigration: true }, env);
    assert.equal(result.code, 1, `the run must stop: ${result.stdout}${result.stderr}`);
    assert.match(
      result.stderr.trim(),
      new RegExp(
        `^Another run applied ${nameOf(RECORDED)} while this one waited .*this run stopped: the \\d+ revisions \\w+ to ${id(RECORDED - 1)} were applied and committed`,
      ),
    );
    const runs = (await db.query<{ rev: number }>('select rev from claim_runs order by rev')).map((r) => r.rev);
    assert.deepEqual(
      runs,
      Array.from({ length: RECORDED - 1 }, (_, i) => i + 1),
      `the revisions before ${id(RECORDED)} ran once, it and the ones after it not at all`,
    );
    const [{ n }] = await db.query<{ n: number }>(`select count(*)::int as n from mikro_orm_migrations where name like $1`, [`${nameOf(RECORDED)}%`]);
    assert.equal(n, 1, 'recorded once, by the other writer');
  }

  test('the record has its unique index: the revision is refused, its statements never run', { skip }, async () => {
    const db = await database();
    await refusedAt(project({ cjs: false }).root, db, { DATABASE_URL: db.url });
  });

  test('a .cjs revision recorded under its .cjs name (as MikroORM records it): refused too', { skip }, async () => {
    const db = await database();
    await refusedAt(project({ cjs: true }).root, db, { DATABASE_URL: db.url });
  });

  test('a record without the index, owned by another user: refused all the same', { skip }, async () => {
    const db = await createTestDatabase('vq_claim');
    const role = `vq_claim_${db.name.slice(-5)}`;
    await adminQuery(SYSTEM_PG, `create role "${role}" login`);
    // The role owns the database and its tables: they go first, then the role can.
    cleanup.push(async () => {
      await adminQuery(SYSTEM_PG, `drop database if exists "${db.name}" with (force)`);
      await adminQuery(SYSTEM_PG, `drop role if exists "${role}"`);
    });
    // The run's user may create its tables (it owns the database) and write the record, not index it.
    await adminQuery(SYSTEM_PG, `alter database "${db.name}" owner to "${role}"`);
    await db.query(
      `create table mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp, checksum varchar(64))`,
    );
    await db.query(`grant select, insert, delete on mikro_orm_migrations to "${role}"; grant usage on sequence mikro_orm_migrations_id_seq to "${role}"`);
    await refusedAt(project({ cjs: false }).root, db, { DATABASE_URL: db.url.replace('postgres@', `${role}@`) });
    const [{ indexes }] = await db.query<{ indexes: number }>(`select count(*)::int as indexes from pg_indexes where tablename = 'mikro_orm_migrations'`);
    assert.equal(indexes, 1, 'only the primary key: the run could not add the unique index');
  });
});
