// The pure parts of db-lint, table-driven: the SQL files squawk reads, how its findings map back
// to revisions and statements, the acknowledgement marker, the rule selection and the range.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { revisionsInRange } from '../src/commands/lint';
import {
  DEFAULT_EXCLUDED_RULES,
  acknowledgementLine,
  lintFile,
  mapFindings,
  parseAcknowledgements,
  ruleSelection,
  type SquawkFinding,
} from '../src/core/lint-findings';
import type { Revision } from '../src/core/revisions';

const rev = { id: 'mx000001', path: '/p/migrations/mx000001_x.ts' };

describe('lintFile: one statement after another, at known lines', () => {
  test('a transactional revision is wrapped in BEGIN/COMMIT; each statement starts a line and ends with its own ";" line', () => {
    const file = lintFile('a.up.sql', rev, 'up', true, ['alter table "a" drop column "b";', 'select 1\n  -- trailing comment']);
    assert.equal(file.text, 'BEGIN;\nalter table "a" drop column "b"\n;\nselect 1\n  -- trailing comment\n;\nCOMMIT;\n');
    assert.deepEqual(file.starts, [1, 3]);
    assert.equal(file.end, 6);
  });
  test('a non-transactional revision is not wrapped', () => {
    const file = lintFile('a.up.sql', rev, 'up', false, ['create index concurrently "i" on "a" ("b")']);
    assert.equal(file.text, 'create index concurrently "i" on "a" ("b")\n;\n');
    assert.deepEqual(file.starts, [0]);
  });
});

describe('mapFindings', () => {
  const up = lintFile('0_mx000001.up.sql', rev, 'up', true, [
    'create table "t" ("id" serial primary key)',
    'alter table "t" add column "n" int not null',
    'alter table "article" drop column "favorites_count"',
    'alter table "article"\n  add column "x" int not null',
  ]);
  const down = lintFile('0_mx000001.down.sql', rev, 'down', true, ['drop table "t"', 'alter table "article" add column "y" int not null']);
  const finding = (file: string, line: number, rule: string): SquawkFinding => ({ file, line, rule_name: rule, message: `${rule} message`, help: null });
  const cases: { name: string; finding: SquawkFinding; expect: { direction: string; index: number; statement: string; rule: string } | null }[] = [
    {
      name: 'a line maps to its statement',
      finding: finding(up.name, 5, 'ban-drop-column'),
      expect: { direction: 'up', index: 3, statement: 'alter table "article" drop column "favorites_count"', rule: 'ban-drop-column' },
    },
    {
      name: 'a line inside a multi-line statement maps to it',
      finding: finding(up.name, 8, 'adding-required-field'),
      expect: { direction: 'up', index: 4, statement: 'alter table "article"\n  add column "x" int not null', rule: 'adding-required-field' },
    },
    { name: 'a change to a table created earlier in the revision is dropped', finding: finding(up.name, 3, 'adding-required-field'), expect: null },
    { name: 'a data-loss rule in down() is dropped (a revert drops what up() added)', finding: finding(down.name, 1, 'ban-drop-table'), expect: null },
    {
      name: 'any other rule in down() is kept',
      finding: finding(down.name, 3, 'adding-required-field'),
      expect: { direction: 'down', index: 2, statement: 'alter table "article" add column "y" int not null', rule: 'adding-required-field' },
    },
    {
      name: 'a path with a folder is matched by its file name',
      finding: finding(`/tmp/x/${up.name}`, 5, 'ban-drop-column'),
      expect: { direction: 'up', index: 3, statement: 'alter table "article" drop column "favorites_count"', rule: 'ban-drop-column' },
    },
    { name: 'a file that is not ours is ignored', finding: finding('other.sql', 0, 'ban-drop-column'), expect: null },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const [mapped, ...rest] = mapFindings(
        [c.finding],
        [up, down],
        () => new Set(),
        (p) => `shown:${p}`,
      );
      assert.equal(rest.length, 0);
      if (c.expect === null) return assert.equal(mapped, undefined);
      assert.deepEqual({ direction: mapped.direction, index: mapped.index, statement: mapped.statement, rule: mapped.rule }, c.expect);
      assert.equal(mapped.revision, 'mx000001');
      assert.equal(mapped.file, `shown:${rev.path}`);
      assert.equal(mapped.acknowledged, false);
    });
  }
  test('a finding is acknowledged when its revision accepts its rule', () => {
    const accepted = (path: string) => new Set(path === rev.path ? ['ban-drop-column'] : []);
    const mapped = mapFindings([finding(up.name, 5, 'ban-drop-column'), finding(up.name, 8, 'adding-required-field')], [up], accepted);
    assert.deepEqual(
      mapped.map((f) => [f.rule, f.acknowledged]),
      [
        ['ban-drop-column', true],
        ['adding-required-field', false],
      ],
    );
  });
});

describe('the acknowledgement marker', () => {
  const cases: { text: string; rules: string[] }[] = [
    { text: acknowledgementLine('ban-drop-column', 'drops "article"."favorites_count" (12 rows)'), rules: ['ban-drop-column'] },
    { text: '  //veloiq-lint: accept changing-column-type', rules: ['changing-column-type'] },
    { text: '// VELOIQ-LINT: Accept Renaming-Column -- note', rules: ['renaming-column'] },
    { text: '// veloiq-lint: accept a\n// veloiq-lint: accept b -- x\nconst y = 1; // veloiq-lint: accept c', rules: ['a', 'b'] },
    { text: '/* veloiq-lint: accept ban-drop-table */', rules: [] },
    { text: '// veloiq-lint: ban-drop-table', rules: [] },
    { text: '// veloiq-lint accept ban-drop-table', rules: [] },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.text), () => assert.deepEqual([...parseAcknowledgements(c.text)], c.rules));
  }
  test('the written line reads back as its rule, on one line', () => {
    const line = acknowledgementLine('ban-drop-column', 'drops\na column');
    assert.doesNotMatch(line, /\n/);
    assert.deepEqual([...parseAcknowledgements(line)], ['ban-drop-column']);
  });
});

describe('ruleSelection', () => {
  const cases: { given: { exclude?: string[]; include?: string[] }; excluded: string[]; notExcluded: string[]; include: string[] }[] = [
    {
      given: {},
      excluded: ['prefer-bigint-over-int', 'require-lock-timeout'],
      notExcluded: ['ban-drop-column', 'require-concurrent-index-creation'],
      include: [],
    },
    { given: { exclude: ['ban-drop-column'] }, excluded: ['ban-drop-column', 'prefer-identity'], notExcluded: [], include: [] },
    { given: { include: ['require-lock-timeout'] }, excluded: ['prefer-identity'], notExcluded: ['require-lock-timeout'], include: ['require-lock-timeout'] },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.given), () => {
      const { exclude, include } = ruleSelection(c.given);
      for (const rule of c.excluded) assert.ok(exclude.includes(rule), rule);
      for (const rule of c.notExcluded) assert.ok(!exclude.includes(rule), rule);
      assert.deepEqual(include, c.include);
    });
  }
  test('the defaults are style and timeout rules only', () => {
    assert.ok(DEFAULT_EXCLUDED_RULES.every((rule) => /^(prefer-|ban-char-field|require-(lock|statement)-timeout)/.test(rule)));
  });
});

describe('revisionsInRange', () => {
  const revisions: Revision[] = ['a1', 'b2', 'c3', 'd4'].map((id, i, all) => ({
    id,
    name: `${id}_x`,
    description: id,
    path: `/m/${id}_x.ts`,
    parents: i ? [all[i - 1]] : [],
    labels: [],
  }));
  const cases: [string | undefined, string[]][] = [
    [undefined, ['a1', 'b2', 'c3', 'd4']],
    ['head', ['d4']],
    ['b', ['b2']],
    ['-1', ['c3']],
    ['b2:head', ['c3', 'd4']],
    ['base:b2', ['a1', 'b2']],
    ['a1:', ['b2', 'c3', 'd4']],
    ['base', []],
  ];
  for (const [spec, ids] of cases)
    test(String(spec), () =>
      assert.deepEqual(
        revisionsInRange(revisions, spec).map((r) => r.id),
        ids,
      ),
    );
});
