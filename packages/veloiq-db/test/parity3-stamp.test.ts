// stamp with a branch label on a branchpoint, and `stamp heads` beside a second root, against real
// PostgreSQL: what Alembic 1.8.1 did on the same graph (differential run, seeds 141 and 393; the
// in-memory rows are in revision-graph.test.ts). stamp runs no migration SQL, so the tables stay
// as the upgrades left them while the record moves.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { stamp } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import { renderRevision } from '../src/core/revision-file';
import { useRevisions } from './revision-fixtures';
import { sampleWithDatabase, type SampleWithDatabase } from './support';

/**
 * a → b (label feat, a branchpoint) → c → d, and b → x: x and d both carry feat. y is a second
 * root and its own head, on no line of the others.
 */
const REVISIONS = [
  { id: 'mz000001', table: 'product', parents: [] as string[], labels: [] as string[] },
  { id: 'mz000002', table: 'orders', parents: ['mz000001'], labels: ['feat'] },
  { id: 'mz000003', table: 'customer', parents: ['mz000002'], labels: [] as string[] },
  { id: 'mz000004', table: 'invoice', parents: ['mz000003'], labels: [] as string[] },
  { id: 'mz000005', table: 'shipment', parents: ['mz000002'], labels: [] as string[] },
  { id: 'mz000006', table: 'audit', parents: [] as string[], labels: [] as string[] },
];
const [A, B, C, D, X, Y] = REVISIONS.map((r) => r.id);
const nameOf = (id: string) => `${id}_create_${REVISIONS.find((r) => r.id === id)!.table}_table`;
const names = (...ids: string[]) => ids.map(nameOf).sort();

describe('stamp as Alembic 1.8 moves the record, on PostgreSQL', () => {
  let s: SampleWithDatabase;
  before(async () => {
    s = await sampleWithDatabase('vq_parity3');
    useRevisions(s.project.migrations, []);
    for (const r of REVISIONS) {
      const message = `create ${r.table} table`;
      const text = renderRevision({
        id: r.id,
        message,
        up: [`create table "${r.table}" ("id" int)`],
        down: [`drop table "${r.table}"`],
        parents: r.parents,
        labels: r.labels,
      });
      writeFileSync(join(s.project.migrations, `${nameOf(r.id)}.ts`), text);
    }
  });
  after(() => s.dispose());
  beforeEach(async () => {
    await s.db.query('drop schema public cascade; create schema public');
  });

  const applied = async () => (await s.db.applied()).slice().sort();
  const tables = async () => (await s.db.tables()).filter((t) => t !== 'mikro_orm_migrations');

  test('stamp feat@d at c and x: x carries feat too and goes, as in Alembic (seed 141)', async () => {
    await upgrade({ ...s.options, revision: C });
    await upgrade({ ...s.options, revision: X });
    await upgrade({ ...s.options, revision: Y });
    const result = await stamp({ ...s.options, revision: `feat@${D}` });
    assert.equal(result.kind, 'stamp');
    assert.deepEqual(await applied(), names(A, B, C, D, Y), 'alembic_version: d and y (y is on neither line)');
    assert.deepEqual(await tables(), ['audit', 'customer', 'orders', 'product', 'shipment'], 'no migration SQL ran');
  });

  test('stamp feat@c at d and x leaves c alone; feat@d at x alone is a branch beside x', async () => {
    await upgrade({ ...s.options, revision: 'feat@heads' });
    await stamp({ ...s.options, revision: `feat@${C}` });
    assert.deepEqual(await applied(), names(A, B, C), 'alembic_version: c');
    await stamp({ ...s.options, revision: X, purge: true });
    await stamp({ ...s.options, revision: `feat@${D}` });
    assert.deepEqual(await applied(), names(A, B, C, D, X), 'alembic_version: d and x (d is neither above nor below x)');
  });

  test('stamp feat@a from every head of the line is stamp a: both branches go, y stays', async () => {
    await upgrade({ ...s.options, revision: 'heads' });
    await stamp({ ...s.options, revision: `feat@${A}` });
    assert.deepEqual(await applied(), names(A, Y));
    await stamp({ ...s.options, revision: A });
    assert.deepEqual(await applied(), names(A, Y), 'the same as the plain id');
  });

  test('stamp heads at a and y records every head and keeps y (on purpose: Alembic 1.8 unrecords y)', async () => {
    await upgrade({ ...s.options, revision: A });
    await upgrade({ ...s.options, revision: Y });
    await stamp({ ...s.options, revision: 'heads' });
    assert.deepEqual(await applied(), names(A, B, C, D, X, Y));
    assert.deepEqual(await tables(), ['audit', 'product'], 'no migration SQL ran');
  });
});
