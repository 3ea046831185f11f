// The text lines of history, current, heads and branches in Alembic 1.8's formats (its Script
// lines: `parents -> id (labels) (markers), message`, `Rev:` blocks; tools/diff/alembic-fuzz.ts
// compares them with real Alembic output), and the JSON that keeps its shape. In memory: the
// results are built as the commands build them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toJson, toText } from '../src/commands/report';
import type { BranchesResult } from '../src/commands/branches';
import type { CurrentResult } from '../src/commands/current';
import type { HeadsResult, RevisionDetail } from '../src/commands/heads';
import type { HistoryEntry, HistoryResult } from '../src/commands/history';

/** a → b (feat), a → c, m merges b and c; the database stands at b and c. */
const entry = (id: string, parents: string[], extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id,
  description: `create ${id}`,
  name: `${id}_n`,
  applied: true,
  current: false,
  head: false,
  parents,
  labels: [],
  branchpoint: false,
  mergepoint: false,
  appliedOrder: null,
  ...extra,
});

const historyResult: HistoryResult = {
  kind: 'history',
  revisions: [
    entry('a', [], { branchpoint: true }),
    entry('b', ['a'], { labels: ['feat'], current: true }),
    entry('c', ['a'], { current: true }),
    entry('m', ['b', 'c'], { labels: ['feat'], head: true, mergepoint: true, applied: false }),
  ],
};

describe("Alembic's line formats", () => {
  test('history: parent -> id (labels) (markers), message; newest first', () => {
    assert.equal(
      toText(historyResult),
      [
        'b, c -> m (feat) (head) (mergepoint) (pending), create m',
        'a -> c (current), create c',
        'a -> b (feat) (current), create b',
        '<base> -> a (branchpoint), create a',
      ].join('\n'),
    );
  });

  test('current: id (head) (mergepoint), message', () => {
    const result: CurrentResult = {
      kind: 'current',
      id: 'm',
      description: 'merge',
      head: true,
      headId: 'm',
      pending: 0,
      heads: [{ id: 'm', description: 'merge', head: true }],
      graphHeads: ['m'],
      markers: { m: ['head', 'mergepoint'] },
    };
    assert.equal(toText(result), 'm (head) (mergepoint), merge\nAt head.');
    assert.deepEqual(
      Object.keys(JSON.parse(toJson(result))),
      ['id', 'description', 'head', 'headId', 'pending', 'heads', 'graphHeads'],
      'the JSON keeps its keys',
    );
  });

  test('heads: id (labels) (head), message', () => {
    const result: HeadsResult = { kind: 'heads', heads: [{ id: 'b2', description: 'add sku', parents: ['b'], labels: ['feat'] }] };
    assert.equal(toText(result), 'b2 (feat) (head), add sku');
  });

  test('branches: the branchpoint, then each child indented by its width, with its markers', () => {
    const result: BranchesResult = {
      kind: 'branches',
      branchpoints: [
        {
          id: 'a1',
          description: 'create a',
          parents: [],
          labels: [],
          children: [
            { id: 'b1', description: 'create b', parents: ['a1'], labels: ['feat'] },
            { id: 'c1', description: 'create c', parents: ['a1'], labels: [] },
          ],
        },
      ],
      markers: { a1: ['branchpoint'], b1: [], c1: ['head'] },
    };
    assert.equal(toText(result), 'a1 (branchpoint), create a\n   -> b1 (feat), create b\n   -> c1 (head), create c');
    assert.equal(JSON.parse(toJson(result)).markers, undefined);
  });

  test('verbose: Rev, Parent or Merges, Branches into, Branch names, Path, the message', () => {
    const detail = (over: Partial<RevisionDetail>): RevisionDetail => ({
      id: 'm',
      description: 'merge heads',
      parents: ['b', 'c'],
      labels: [],
      name: 'm_n',
      path: 'backend/migrations/m_n.ts',
      children: [],
      head: true,
      branchpoint: false,
      mergepoint: true,
      ...over,
    });
    const heads: HeadsResult = { kind: 'heads', heads: [], details: [detail({})] };
    heads.heads = [{ id: 'm', description: 'merge heads', parents: ['b', 'c'], labels: [] }];
    assert.equal(toText(heads), 'Rev: m (head) (mergepoint)\nMerges: b, c\nPath: backend/migrations/m_n.ts\n\n    merge heads\n');
    heads.details = [detail({ id: 'a', parents: [], head: false, mergepoint: false, branchpoint: true, children: ['b', 'c'], labels: ['feat'] })];
    assert.match(toText(heads), /^Rev: a \(branchpoint\)\nParent: <base>\nBranches into: b, c\nBranch names: feat\nPath: /);
  });
});
