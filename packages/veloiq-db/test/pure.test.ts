// The pure parts, table-driven and in memory (milliseconds, no database, no Nx): the revision
// grammar, slugs, ids, statement splitting, option checking, the downgrade and stamp plans, and
// the errors users meet.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmbiguousRevisionError, driverMessage, firstLine, UnknownRevisionError, UserError } from '../src/core/errors';
import { parseLockTimeout } from '../src/core/lock';
import { downgradePlan, requireDowngradeRevision, stampPlan } from '../src/core/plans';
import { nextRevisionId, positionOf, resolveRevision, slugOf, type Revision } from '../src/core/revisions';
import { splitStatements } from '../src/core/schema-diff';
import { quoteIdentifier, quoteLiteral } from '../src/core/sql-text';

const IDS = ['mwwxaaaa', 'mwwxbbbb', 'mwwycccc', 'mwwzdddd'];
/** One line of revisions, each the parent of the next (branches: revision-graph.test.ts). */
const REVISIONS: Revision[] = IDS.map((id, i) => ({
  id,
  name: `${id}_${id}`,
  description: `revision ${id}`,
  path: `/m/${id}_${id}.ts`,
  parents: i ? [IDS[i - 1]] : [],
  labels: [],
}));
/** The four revisions with the first `applied` of them applied. */
const at = (applied: number) =>
  positionOf(
    REVISIONS,
    REVISIONS.slice(0, applied).map((r) => r.name),
  );

describe('the revision grammar', () => {
  const rows: { spec: string | number; applied: number; index?: number; error?: RegExp }[] = [
    { spec: 'head', applied: 0, index: 3 },
    { spec: 'base', applied: 4, index: -1 },
    { spec: '+1', applied: 1, index: 1 },
    { spec: '+3', applied: 1, index: 3 },
    { spec: '-1', applied: 2, index: 0 },
    { spec: -1, applied: 2, index: 0 },
    { spec: '-2', applied: 2, index: -1 },
    { spec: ' head ', applied: 0, index: 3 },
    { spec: 'mwwxaaaa', applied: 0, index: 0 },
    { spec: 'mwwxaaaa_mwwxaaaa', applied: 0, index: 0 },
    { spec: 'mwwy', applied: 0, index: 2 },
    // Case counts, as in Alembic 1.8 ("Can't locate revision identified by 'A0000001'"); the message gives the lowercase id.
    { spec: 'MWWY', applied: 0, error: /^Unknown revision 'MWWY': revision ids are lowercase; type 'mwwy'\.$/ },
    { spec: '+0', applied: 1, error: /^Invalid revision '\+0': a relative step must not be zero\. Use head, base, -N, \+N/ },
    { spec: '+4', applied: 1, error: /^Cannot go 4 steps forward: only 3 revisions are pending\. Use 'head'/ },
    { spec: '-3', applied: 2, error: /^Cannot go 3 steps back: only 2 revisions are applied\. Use 'base'/ },
    { spec: '-1', applied: 0, error: /^Cannot go 1 step back: only 0 revisions are applied/ },
    { spec: 'mwwx', applied: 0, error: /^Ambiguous revision 'mwwx': it starts 2 ids \(mwwxaaaa, mwwxbbbb\)\. Type more of the id\.$/ },
    { spec: 'zzzz', applied: 0, error: /^Unknown revision 'zzzz': no revision id starts with it\. Run 'veloiq db history' to see the ids\.$/ },
    { spec: "a'; drop table x; --", applied: 0, error: /^Invalid revision 'a'; drop table x; --'\. Use head, base/ },
    { spec: '-abc', applied: 0, error: /^Invalid revision '-abc'/ },
  ];
  for (const row of rows) {
    test(`'${row.spec}' with ${row.applied} applied`, () => {
      if (row.error)
        assert.throws(
          () => resolveRevision(row.spec, at(row.applied)),
          (e: Error) => e instanceof UserError && row.error!.test(e.message),
        );
      else
        assert.deepEqual(
          resolveRevision(row.spec, at(row.applied)).revisions.map((r) => r.id),
          row.index === -1 ? [] : [IDS[row.index!]],
        );
    });
  }

  test('the errors carry what was typed, and the candidates', () => {
    assert.throws(
      () => resolveRevision('zzzz', at(0)),
      (e: unknown) => e instanceof UnknownRevisionError && e.argument === 'zzzz',
    );
    assert.throws(
      () => resolveRevision('mwwx', at(0)),
      (e: unknown) => e instanceof AmbiguousRevisionError && e.argument === 'mwwx' && e.candidates.join() === 'mwwxaaaa,mwwxbbbb',
    );
  });
});

describe('slugs and ids', () => {
  const slugs: [string, string][] = [
    ['create product table', 'create_product_table'],
    ['Add SKU (unique!)', 'add_sku_unique'],
    ['../../etc/passwd', 'etc_passwd'],
    ['🚀🚀', 'revision'],
    ['x'.repeat(80), 'x'.repeat(60)],
  ];
  for (const [message, slug] of slugs) test(`slug of '${message.slice(0, 20)}'`, () => assert.equal(slugOf(message), slug));

  test('ids are eight characters, sort in creation order, and never repeat one that exists', () => {
    assert.equal(nextRevisionId([], 5), '00000005');
    assert.equal(nextRevisionId([], 36 ** 7), '10000000');
    const newest = REVISIONS[3];
    assert.equal(nextRevisionId([newest], 0), (parseInt('mwwzdddd', 36) + 1).toString(36));
  });
});

describe('statement splitting', () => {
  const rows: [string, string[]][] = [
    ['create table a (id int);\ncreate table b (id int);', ['create table a (id int);', 'create table b (id int);']],
    ["insert into a values ('x;\ny');\nselect 1;", ["insert into a values ('x;\ny');", 'select 1;']],
    ['select 1;\n\nselect 2;', ['select 1;', '', 'select 2;']],
    ['', []],
    ['select 1', ['select 1;']],
  ];
  for (const [sql, statements] of rows) test(JSON.stringify(sql), () => assert.deepEqual(splitStatements(sql), statements));
});

describe('option checking', () => {
  const rows: { value: unknown; seconds?: number; error?: boolean }[] = [
    { value: undefined, seconds: 60 },
    { value: '', seconds: 60 },
    { value: 0, seconds: 0 },
    { value: '5', seconds: 5 },
    { value: 2.5, seconds: 2.5 },
    { value: -1, error: true },
    { value: 'soon', error: true },
    { value: ' ', error: true },
  ];
  for (const row of rows) {
    test(`--lock-timeout ${JSON.stringify(row.value)}`, () => {
      if (row.error) assert.throws(() => parseLockTimeout(row.value), /^UserError: Invalid --lock-timeout/);
      else assert.equal(parseLockTimeout(row.value), row.seconds);
    });
  }

  test('downgrade needs a revision', () => {
    for (const missing of [undefined, '', '  ']) assert.throws(() => requireDowngradeRevision(missing), /downgrade needs a revision: -1 \(one step back\)/);
    assert.equal(requireDowngradeRevision('-1'), '-1');
  });
});

describe('the downgrade plan', () => {
  const ids = (revisions: Revision[]) => revisions.map((r) => r.id);
  const rows: { spec: string; applied: number; left?: number; revert?: string[]; error?: RegExp }[] = [
    { spec: '-1', applied: 4, left: 3, revert: ['mwwzdddd'] },
    { spec: 'base', applied: 2, left: 0, revert: ['mwwxbbbb', 'mwwxaaaa'] },
    { spec: 'mwwxa', applied: 3, left: 1, revert: ['mwwycccc', 'mwwxbbbb'] },
    { spec: 'base', applied: 0, left: 0, revert: [] },
    { spec: 'head', applied: 1, error: /^UserError: Revision mwwzdddd is ahead of the current revision \(mwwxaaaa\); downgrade only goes back\./ },
  ];
  for (const row of rows) {
    test(`downgrade ${row.spec} with ${row.applied} applied`, () => {
      if (row.error) return assert.throws(() => downgradePlan(at(row.applied), row.spec), row.error);
      const plan = downgradePlan(at(row.applied), row.spec);
      assert.deepEqual(ids(plan.revert), row.revert);
      assert.deepEqual(
        plan.after,
        REVISIONS.slice(0, row.left).map((r) => r.name),
        'what stays recorded',
      );
    });
  }

  test('a revision that is not applied (a gap) cannot be left current', () => {
    const gap = positionOf(REVISIONS, [REVISIONS[0].name, REVISIONS[2].name]);
    assert.throws(() => downgradePlan(gap, 'mwwxb'), /^UserError: Revision mwwxbbbb is not applied, so the database cannot be left at it\./);
  });
});

describe('the stamp plan', () => {
  test('up from base records every revision to the target, removes nothing', () => {
    const plan = stampPlan(at(0), 'mwwxb');
    assert.deepEqual([plan.after, plan.record.map((r) => r.id), plan.remove], [[REVISIONS[0].name, REVISIONS[1].name], ['mwwxaaaa', 'mwwxbbbb'], []]);
  });
  test('down removes the later ones, newest first', () => {
    const plan = stampPlan(at(4), 'mwwxb');
    assert.deepEqual([plan.record, plan.removeShown], [[], ['mwwzdddd', 'mwwycccc']]);
  });
  test('a recorded name without a file is removed and shown by its name', () => {
    const plan = stampPlan(positionOf(REVISIONS, [REVISIONS[0].name, 'gone_revision']), 'mwwxa');
    assert.deepEqual([plan.record, plan.remove, plan.removeShown], [[], ['gone_revision'], ['gone_revision']]);
  });
  test('at the target already: nothing to do', () => {
    const plan = stampPlan(at(4), 'head');
    assert.equal(plan.record.length + plan.remove.length, 0);
  });
});

describe('error text helpers', () => {
  test('firstLine and driverMessage keep one line of what was thrown', () => {
    assert.equal(firstLine(new Error('one\ntwo')), 'one');
    assert.equal(firstLine('plain'), 'plain');
    assert.equal(driverMessage(new Error('insert into "x" values (1) - relation "x" does not exist\nDETAIL')), 'relation "x" does not exist');
    assert.equal(driverMessage(new Error('no separator')), 'no separator');
  });
  test('a UserError keeps its cause', () => {
    const cause = new Error('driver');
    assert.equal(new UserError('message', { cause }).cause, cause);
  });
  test('identifiers and literals are quoted, inner quotes doubled', () => {
    assert.equal(quoteIdentifier('we"ird'), '"we""ird"');
    assert.equal(quoteLiteral("it's"), "'it''s'");
  });
});
