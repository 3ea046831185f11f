// A run with a transaction per revision sends many revisions in one round trip, each claimed
// inside its own transaction: a revision that another writer recorded after the run read the
// record is refused before its statements run, never applied twice. Claimed by its own record
// row where the record's unique index refuses a second one, by a lookup of its names where the
// index is missing (a user that does not own the table cannot add it). Real PostgreSQL.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runEngine, writeRevision } from './safety-fixtures';
import { adminQuery, copySample, createTestDatabase, missingSystemPg, SYSTEM_PG, type TestDatabase, type TestProject } from './support';

const COUNT = 30;
/** The revision that records RECORDED behind the run's back, and RECORDED itself. */
const WRITER = 5;
const RECORDED = 20;

const id = (n: number) => `mx0000${String(n).padStart(2, '0')}`;

describe('a revision recorded by another writer mid-run (--transaction-per-migration)', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let recorded: string;
  const databases: TestDatabase[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];

  before(() => {
    project = copySample();
    writeRevision(project.migrations, id(0), 'runs_table', ['create table claim_runs (rev int not null)']);
    for (let n = 1; n <= COUNT; n++) writeRevision(project.migrations, id(n), `counted_${n}`, [`insert into claim_runs (rev) values (${n})`]);
    recorded = readdirSync(project.migrations)
      .find((file) => file.startsWith(id(RECORDED)))!
      .replace(/\.ts$/, '');
    // As another run would: it records RECORDED while this run goes on, after this run read the record.
    writeRevision(project.migrations, id(WRITER), `counted_${WRITER}`, [
      `insert into claim_runs (rev) values (${WRITER})`,
      `insert into mikro_orm_migrations (name) values ('${recorded}')`,
    ]);
  });
  after(async () => {
    for (const done of cleanup) await done();
    for (const db of databases) await db.drop();
    project?.remove();
  });

  async function refusedAt(db: TestDatabase, env: NodeJS.ProcessEnv): Promise<void> {
    const result = await runEngine('upgrade', project.root, { transactionPerMigration: true }, env);
    assert.equal(result.code, 1, `the run must stop: ${result.stdout}${result.stderr}`);
    assert.match(
      result.stderr.trim(),
      new RegExp(
        `^Another run applied ${recorded} while this one waited .*this run stopped: the \\d+ revisions \\w+ to ${id(RECORDED - 1)} were applied and committed`,
      ),
    );
    const runs = (await db.query<{ rev: number }>('select rev from claim_runs order by rev')).map((r) => r.rev);
    assert.deepEqual(
      runs,
      Array.from({ length: RECORDED - 1 }, (_, i) => i + 1),
      `the revisions before ${id(RECORDED)} ran once, it and the ones after it not at all`,
    );
    const rows = await db.query<{ n: number }>('select count(*)::int as n from mikro_orm_migrations where name = $1', [recorded]);
    assert.equal(rows[0].n, 1, 'recorded once, by the other writer');
  }

  test('the record has its unique index: the revision is refused, its statements never run', { skip }, async () => {
    const db = await createTestDatabase('vq_claim');
    databases.push(db);
    await refusedAt(db, { DATABASE_URL: db.url });
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
    await refusedAt(db, { DATABASE_URL: db.url.replace('postgres@', `${role}@`) });
    const [{ indexes }] = await db.query<{ indexes: number }>(`select count(*)::int as indexes from pg_indexes where tablename = 'mikro_orm_migrations'`);
    assert.equal(indexes, 1, 'only the primary key: the run could not add the unique index');
  });
});
