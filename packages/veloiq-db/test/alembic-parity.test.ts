// Branches against real PostgreSQL where Alembic 1.8 was checked to do the same (the in-memory
// rows are in revision-graph.test.ts): stamp keeps the other branch, `label@rev` and `label@base`
// downgrades, and the app's guard with two heads.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseArgs } from '../src/cli/args';
import { downgrade } from '../src/commands/downgrade';
import { prepare, withEnvironment } from '../src/commands/session';
import type { SqlResult } from '../src/commands/sql';
import { stamp } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import { openDatabase } from '../src/core/orm';
import { staleSchemaProblem } from '../src/runtime/guard';
import { renderRevision } from '../src/core/revision-file';
import { useRevisions } from './revision-fixtures';
import { sampleWithDatabase, type SampleWithDatabase } from './support';

/** a (product) -> b (orders, label feat), and a -> c (customer): two heads. */
const REVISIONS = [
  { id: 'my000001', table: 'product', parents: [] as string[], labels: [] as string[] },
  { id: 'my000002', table: 'orders', parents: ['my000001'], labels: ['feat'] },
  { id: 'my000003', table: 'customer', parents: ['my000001'], labels: [] as string[] },
];
const [A, B, C] = REVISIONS.map((r) => r.id);
const names = (...ids: string[]) => ids.map((id) => `${id}_create_${REVISIONS.find((r) => r.id === id)!.table}_table`).sort();

describe('branches as Alembic 1.8 moves them, on PostgreSQL', () => {
  let s: SampleWithDatabase;
  before(async () => {
    s = await sampleWithDatabase('vq_parity');
    useRevisions(s.project.migrations, []);
    for (const r of REVISIONS) {
      const message = `create ${r.table} table`;
      const text = renderRevision({ id: r.id, message, up: [`create table "${r.table}" ("id" int)`], down: [`drop table "${r.table}"`], parents: r.parents });
      // The label line as `migrate --branch-label` writes it, after the Parent line.
      writeFileSync(
        join(s.project.migrations, `${r.id}_${message.replace(/ /g, '_')}.ts`),
        r.labels.length ? text.replace(/( \* Parent: .*\n)/, `$1 * Branch labels: ${r.labels.join(', ')}\n`) : text,
      );
    }
  });
  after(() => s.dispose());

  test('stamp replaces only its own branch; --purge and several revisions', async () => {
    await stamp({ ...s.options, revision: B });
    await stamp({ ...s.options, revision: C });
    assert.deepEqual(await s.db.applied(), names(A, B, C), 'stamp c at b: both branches recorded, as alembic_version holds b and c');
    await stamp({ ...s.options, revision: C, purge: true });
    assert.deepEqual(await s.db.applied(), names(A, C), '--purge: c and its ancestors only');
    await stamp({ ...s.options, revision: A });
    assert.deepEqual(await s.db.applied(), names(A), 'stamp a: c was on its line');
    await stamp({ ...s.options, revision: `${B} ${C}` });
    assert.deepEqual(await s.db.applied(), names(A, B, C));
    await stamp({ ...s.options, revision: 'base' });
    assert.deepEqual(await s.db.applied(), []);
    assert.deepEqual(await s.db.tables(), ['mikro_orm_migrations'], 'no migration SQL ran');
  });

  test('downgrade feat@a reverts only feat; feat@base reverts everything below the root', async () => {
    await upgrade({ ...s.options, revision: 'heads' });
    await downgrade({ ...s.options, revision: `feat@${A}` });
    assert.deepEqual(await s.db.applied(), names(A, C));
    assert.deepEqual(await s.db.tables(), ['customer', 'mikro_orm_migrations', 'product']);
    await upgrade({ ...s.options, revision: 'feat@head' });
    await downgrade({ ...s.options, revision: 'feat@base' });
    assert.deepEqual(await s.db.applied(), [], 'as Alembic: base of the only root, the other branch too');
  });

  test("the app's guard wants every head, and names them", async () => {
    await upgrade({ ...s.options, revision: B });
    const problem = () =>
      withEnvironment(s.options.env, async () => {
        const db = await openDatabase(prepare(s.options));
        try {
          return await staleSchemaProblem(db);
        } finally {
          await db.close();
        }
      });
    assert.equal(
      await problem(),
      `the database is 1 revision behind its migrations (current: ${B}, heads ${B}, ${C}). Run 'veloiq db upgrade heads' to apply it.`,
    );
    await upgrade({ ...s.options, revision: 'heads' });
    assert.equal(await problem(), undefined);
  });

  test('--sql on two heads: the script says it assumes both, and reverts both branches', async () => {
    const offline = { ...s.options, env: { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' }, sql: true as const };
    const script = (await downgrade({ ...offline, revision: 'heads:base' })) as SqlResult;
    assert.match(script.sql, new RegExp(`^-- Assumes the database is at ${B} and ${C} \\(2 branches\\)\\.$`, 'm'));
    assert.deepEqual([script.fromHeads, script.to], [[B, C], null]);
    assert.deepEqual(script.sql.match(/^drop table "\w+"/gm), ['drop table "customer"', 'drop table "orders"', 'drop table "product"']);
    const up = await upgrade({ ...offline, revision: `${A}:heads` });
    assert.deepEqual([up.from, up.toHeads], [A, [B, C]]);
  });

  test("'veloiq db stamp b c' hands both revisions over", () => {
    const invocation = parseArgs(['db', 'stamp', B, C, '--purge']);
    assert.ok(typeof invocation !== 'string');
    assert.deepEqual(invocation.args, ['--purge=true', `--revision=${B} ${C}`]);
  });
});
