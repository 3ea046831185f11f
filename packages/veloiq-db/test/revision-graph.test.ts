import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  appliedHeads,
  assertDirection,
  buildGraph,
  downgradePlan,
  historyRange,
  resolveTarget,
  stampPlan,
  upgradePlan,
  type GraphRevision,
  type RevisionGraph,
} from '../src/core/revision-graph';

/**
 * The revision graph and Alembic's grammar, in memory. Every case was first run on a throwaway
 * Alembic 1.8 project with the same graph (/usr/bin/python3.11 -m alembic); the comment of each
 * table names what Alembic did.
 */

/** `"b:a"` is revision b with parent a; `"m:b,c"` a merge; `"x:"` a root; `"b:a@feat"` a label. */
function graphOf(...specs: string[]): RevisionGraph {
  return buildGraph(
    specs.map((spec): GraphRevision => {
      const [head, label] = spec.split('@');
      const [id, parents] = head.split(':');
      return { id, name: `${id}_n`, description: id, parents: parents ? parents.split(',') : [], labels: label ? [label] : [] };
    }),
  );
}

/** The one-line message of what `run` throws. */
function throwsLine(run: () => unknown, expected: RegExp): void {
  assert.throws(run, (error: Error) => {
    assert.match(error.message, expected);
    return true;
  });
}

const applied = (...ids: string[]) => new Set(ids.map((id) => `${id}_n`));
const idsOf = (revisions: GraphRevision[]) => revisions.map((r) => r.id);

/** a → b, a → c (branchpoint a, heads b and c), as `alembic revision --head a` twice makes. */
const forked = () => graphOf('a:', 'b:a', 'c:a');
/** The same, joined by `alembic merge heads`. */
const merged = () => graphOf('a:', 'b:a', 'c:a', 'm:b,c');
/** a → b (label feat) → b2, and a → c. */
const labelled = () => graphOf('a:', 'b:a@feat', 'b2:b', 'c:a');
/** Two labelled branches off a: a → b (feat) → b2, a → c (fix) → c2. */
const twoLabels = () => graphOf('a:', 'b:a@feat', 'b2:b', 'c:a@fix', 'c2:c');
/** A label on a branchpoint: a → b (feat) → c → d, and b → x; x and d both carry feat. */
const labelOnFork = () => graphOf('a:', 'b:a@feat', 'c:b', 'd:c', 'x:b');
/** The merge, then one more revision on top: a → b, c → m → d. */
const mergedOn = () => graphOf('a:', 'b:a', 'c:a', 'm:b,c', 'd:m');
/** The same with b labelled feat (the label runs on through m and d, as Alembic's history shows). */
const mergedLabelled = () => graphOf('a:', 'b:a@feat', 'c:a', 'm:b,c', 'd:m');

describe('the graph', () => {
  test('heads, branchpoints, mergepoints and an order with parents first', () => {
    const g = merged();
    assert.deepEqual(idsOf(g.heads), ['m']);
    assert.deepEqual(idsOf(forked().heads), ['b', 'c']);
    assert.deepEqual(idsOf(g.children.get('a')!), ['b', 'c']);
    // A revision that arrives with an id older than its parent's still comes after it.
    assert.deepEqual(idsOf(graphOf('b:c', 'a:', 'c:a').revisions), ['a', 'c', 'b']);
  });

  test('a label covers its revision, its descendants, and its ancestors down to a branchpoint', () => {
    assert.deepEqual([...labelled().labelMembers.get('feat')!].sort(), ['b', 'b2']);
    // With no branchpoint below, Alembic's history shows `a (feat)` too.
    assert.deepEqual([...graphOf('a:', 'b:a@feat', 'b2:b').labelMembers.get('feat')!].sort(), ['a', 'b', 'b2']);
  });

  // Alembic 1.8 spreads a label below its revision only while the line from it on is unbranched
  // (differential run: `history` showed `(feat)` on exactly these).
  const spread: [name: string, graph: () => RevisionGraph, members: string[]][] = [
    ['on a branchpoint: not below it', () => graphOf('a:', 'b:a@feat', 'c:b', 'd:b'), ['b', 'c', 'd']],
    ['above a later merge: not below it', () => graphOf('a:', 'b:a', 'c:b@feat', 'x:a', 'm:c,x'), ['c', 'm']],
    ['above a later branchpoint: not below it', () => graphOf('a:', 'b:a@feat', 'c:b', 'd:c', 'e:c'), ['b', 'c', 'd', 'e']],
    ['below a mergepoint: not the mergepoint', () => graphOf('a:', 'x:', 'm:a,x', 'b:m@feat'), ['b']],
    ['an unbranched line: down to the branchpoint', () => graphOf('a:', 'b:a', 'c:b@feat', 'x:a'), ['b', 'c']],
  ];
  for (const [name, graph, members] of spread) {
    test(`a label ${name}`, () => assert.deepEqual([...graph().labelMembers.get('feat')!].sort(), members));
  }

  const broken: [string, () => unknown, RegExp][] = [
    ['a parent no file has', () => graphOf('a:', 'b:zz'), /^Revision b \(b_n\) names parent zz, which no revision file has\. Restore/],
    ['a cycle', () => graphOf('a:', 'b:a,c', 'c:b'), /^The revisions b, c name each other as parents \(a cycle\)/],
  ];
  for (const [name, build, expected] of broken) test(`refuses ${name}`, () => throwsLine(build, expected));

  test('applied heads: one per branch the database is on', () => {
    assert.deepEqual(idsOf(appliedHeads(forked(), applied('a', 'b', 'c'))), ['b', 'c']);
    assert.deepEqual(idsOf(appliedHeads(merged(), applied('a', 'b', 'c', 'm'))), ['m']);
    assert.deepEqual(idsOf(appliedHeads(forked(), applied())), []);
    // A gap (c applied, its parent b not: a record from before parents) is no second branch.
    assert.deepEqual(idsOf(appliedHeads(graphOf('a:', 'b:a', 'c:b'), applied('a', 'c'))), ['c']);
  });
});

type Case = [word: string | number, record: string[], expected: string[] | RegExp];

/** Resolves every word against its record and compares the ids (or the one-line error). */
function resolves(graph: () => RevisionGraph, cases: Case[]) {
  for (const [word, record, expected] of cases) {
    test(`'${word}' with ${record.join(', ') || 'nothing'} applied`, () => {
      const resolve = () => idsOf(resolveTarget(graph(), applied(...record), word).revisions);
      if (expected instanceof RegExp) throwsLine(resolve, expected);
      else assert.deepEqual(resolve(), expected);
    });
  }
}

describe('revision words', () => {
  describe('on a linear history', () => {
    resolves(
      () => graphOf('a1:', 'b1:a1', 'c1:b1'),
      [
        ['head', [], ['c1']],
        ['heads', [], ['c1']],
        ['base', ['a1'], []],
        ['+1', [], ['a1']],
        ['+2', ['a1'], ['c1']],
        ['-1', ['a1', 'b1', 'c1'], ['b1']],
        ['-3', ['a1', 'b1', 'c1'], []],
        ['-4', ['a1', 'b1', 'c1'], /^Cannot go 4 steps back: only 3 revisions are applied\. Use 'base'/],
        ['+3', ['a1'], /^Cannot go 3 steps forward: only 2 revisions are pending\. Use 'head'/],
        ['b', [], ['b1']],
        ['c1_n', [], ['c1']],
        // `rev@±N` walks from where the database stands on rev's line, not from rev (Alembic 1.8:
        // at base `upgrade b@+1` goes to a; at c `downgrade d@-1` goes to b).
        ['b1@+1', [], ['a1']],
        ['a1@+2', ['a1'], ['c1']],
        ['c1@-1', ['a1', 'b1'], ['a1']],
        ['c1@-2', ['a1', 'b1', 'c1'], ['a1']],
        ['c1@-2', [], /^Cannot go 2 steps back: only 0 revisions are applied\./],
        ['c1@-4', ['a1', 'b1', 'c1'], /^Cannot go 4 steps back: only 3 revisions are applied\./],
        // Alembic: "Relative revision -0 didn't produce 0 migrations"; ours names the word.
        ['-0', ['a1'], /^Invalid revision '-0': a relative step must not be zero/],
        ['+0', ['a1'], /^Invalid revision '\+0'/],
        ['b1@+0', [], /^Invalid revision 'b1@\+0'/],
        ['', [], /^Invalid revision '': a revision word must not be empty/],
        ['  ', [], /^Invalid revision ''/],
        ['zz', [], /^Unknown revision 'zz'/],
        ["a'; drop", [], /^Invalid revision 'a'; drop'\. Use head, base, -N, \+N, heads, <label>@head/],
        // Alembic's `symbol±N`: counted from the revision named, not from the database's position.
        ['head-1', [], ['b1']],
        ['head-2', ['a1', 'b1', 'c1'], ['a1']],
        ['head-3', [], []],
        ['a1+1', ['a1', 'b1', 'c1'], ['b1']],
        ['b+1', [], ['c1']],
        ['base+2', ['a1', 'b1', 'c1'], ['b1']],
        ['c1+1', [], /^Cannot go 1 step forward/],
        ['head-4', [], /^Cannot go 4 steps back: only 3 revisions are below c1\./],
        ['zz+1', [], /^Unknown revision 'zz'/],
        ['head+0', [], /^Invalid revision 'head\+0'/],
      ],
    );
    test('an ambiguous prefix lists the candidates', () => {
      throwsLine(
        () => resolveTarget(graphOf('ab1:', 'ab2:ab1'), applied(), 'ab'),
        /^Ambiguous revision 'ab': it starts 2 ids \(ab1, ab2\)\. Type more of the id\.$/,
      );
    });
  });

  describe('with two heads', () => {
    resolves(forked, [
      // Alembic: "Multiple head revisions are present for given argument 'head'; please specify ...".
      [
        'head',
        ['a'],
        /^Multiple head revisions are present \(b, c\) for 'head': specify a target revision, '<label>@head' to narrow to one head, or 'heads' for all of them; or join them with 'veloiq db merge/,
      ],
      ['heads', ['a'], ['b', 'c']],
      // Alembic warns "downgrade -1 from multiple heads is ambiguous; this usage will be disallowed": we refuse.
      ['-1', ['a', 'b', 'c'], /^Ambiguous revision '-1': the database stands on 2 branches \(b, c\)\. Say which: 'b@-1'/],
      ['c@-1', ['a', 'b', 'c'], ['a']],
      // Alembic: "Relative revision +1 didn't produce 1 migrations" from a branchpoint.
      ['+1', ['a'], /^Ambiguous revision '\+1': a has 2 children \(b, c\), one per branch/],
      // Alembic: a's line is the whole graph; from base one step is a itself.
      ['a@+1', [], ['a']],
      ['a@+1', ['a'], /^Ambiguous revision 'a@\+1': a has 2 children \(b, c\)/],
      ['b@+1', ['a'], ['b']],
      ['a@-1', ['a', 'b', 'c'], /^Ambiguous revision 'a@-1': the database stands at b, c on that line/],
    ]);
  });

  describe('with a mergepoint', () => {
    resolves(merged, [
      ['head', [], ['m']],
      // Alembic: "Ambiguous walk".
      [
        '-1',
        ['a', 'b', 'c', 'm'],
        /^Ambiguous revision '-1': m is a mergepoint of b, c, so a step back has two ways\. Name the revision to go back to \(e\.g\. 'b', which keeps c\)/,
      ],
      ['b@-1', ['a', 'b'], ['a']],
    ]);
  });

  describe('with a branch label', () => {
    resolves(labelled, [
      ['feat@head', [], ['b2']],
      // Alembic 1.8 reads `X@base` as base itself (checked: `upgrade fix@base` applies nothing).
      ['feat@base', [], []],
      ['b@base', ['a', 'b'], []],
      // `label@rev`: rev, which must be on the label's line (Alembic: "Can't locate revision").
      ['feat@b2', [], ['b2']],
      ['feat@a', [], ['a']],
      ['feat@c', [], /^Revision c is not on the branch of 'feat'\. Name a revision on that branch/],
      // A bare label is the revision declaring it; `X@heads` the heads on X's line (Alembic 1.8).
      ['feat', [], ['b']],
      ['feat@heads', [], ['b2']],
      ['a@heads', [], ['b2', 'c']],
      // Alembic: "Can't locate revision" / an AssertionError for these; ours name the word.
      ['feat@', [], /^Invalid revision 'feat@'/],
      ['@head', [], /^Invalid revision '@head'/],
      ['b;', [], /^Invalid revision 'b;'/],
      ['é', [], /^Invalid revision 'é'/],
      // Alembic: "Range revision not allowed" online.
      ['a:b', [], /^A range such as 'a:b' is for --sql only/],
      // Alembic: "Can't locate revision identified by 'B'"; case counts.
      ['B', [], /^Unknown revision 'B': revision ids are lowercase; type 'b'\.$/],
      ['feat@-1', ['a', 'b', 'b2'], ['b']],
      ['feat@+1', ['a', 'b'], ['b2']],
      // The label's line runs down to a: from a, one step along it is b, not c.
      ['feat@+1', ['a'], ['b']],
      ['feat@+2', [], ['b']],
      ['head', [], /^Multiple head revisions are present \(b2, c\) for 'head': specify a target revision, 'feat@head'/],
      ['nope@head', [], /^Unknown revision 'nope'/],
      ['feat@head-1', [], ['b']],
      ['heads-1', [], /^Multiple head revisions are present \(b2, c\) for 'heads-1'/],
    ]);
  });
  describe('with a prefix that starts ids on two labelled branches', () => {
    // aaaa → bbb1 (feat) → ccc1, and aaaa → bbb2 (fix). Alembic 1.8 narrows the prefix of
    // `X@<prefix>` to X's line first (its ScriptDirectory's get_revisions, checked here).
    resolves(
      () => graphOf('aaaa:', 'bbb1:aaaa@feat', 'ccc1:bbb1', 'bbb2:aaaa@fix'),
      [
        ['feat@bbb', [], ['bbb1']],
        ['fix@bbb', [], ['bbb2']],
        ['fix@b', [], ['bbb2']],
        ['feat@aaa', [], ['aaaa']],
        ['feat@ccc', [], ['ccc1']],
        // Alembic: "Multiple revisions start with 'bbb'", "No such revision or branch 'ccc'",
        // "Revision bbb2 is not a member of branch 'feat'".
        ['bbb', [], /^Ambiguous revision 'bbb': it starts 2 ids \(bbb1, bbb2\)\. Type more of the id\.$/],
        ['fix@ccc', [], /^Revision ccc1 is not on the branch of 'fix'\./],
        ['feat@bbb2', [], /^Revision bbb2 is not on the branch of 'feat'\./],
        ['aaaa@bbb', [], /^Ambiguous revision 'bbb': it starts 2 ids on that branch \(bbb1, bbb2\)\./],
      ],
    );
  });
  describe('with a branch label from base', () => {
    test('label@base of a branch from base is base', () => {
      assert.deepEqual(resolveTarget(graphOf('a:@feat', 'b:a'), applied(), 'feat@base').revisions, []);
    });
  });
});

type PlanCase = [graph: () => RevisionGraph, record: string[], word: string, expected: string[] | RegExp];

function plans(plan: typeof upgradePlan, cases: PlanCase[]) {
  for (const [graph, record, word, expected] of cases) {
    test(`'${word}' with ${record.join(', ') || 'nothing'} applied`, () => {
      const g = graph();
      const run = () => idsOf(plan(g, applied(...record), resolveTarget(g, applied(...record), word)));
      if (expected instanceof RegExp) throwsLine(run, expected);
      else assert.deepEqual(run(), expected);
    });
  }
}

describe('history ranges', () => {
  // Each as `alembic history -r<range>` printed it on a → b → c → d with b applied (Alembic 1.8).
  const linear = () => graphOf('a:', 'b:a', 'c:b', 'd:c');
  const cases: [range: string, expected: string[] | RegExp][] = [
    ['b:c', ['b', 'c']],
    ['b:', ['b', 'c', 'd']],
    [':b', ['a', 'b']],
    ['base:head', ['a', 'b', 'c', 'd']],
    ['-1:', ['c', 'd']],
    ['current:', ['b', 'c', 'd']],
    [':current', ['a', 'b']],
    // Alembic 1.8 (differential run): a start that is not below the end is refused, not an empty list.
    ['c:b', /^History range 'c:b' runs the wrong way: c is not below b\. Put the older revision first/],
    ['c:base', /^History range 'c:base' runs the wrong way: c is not below base/],
    // A bare -N start counts back from the head, whatever the end (Alembic: `-2:c` is b, c).
    ['-2:c', ['b', 'c']],
    ['-1:c', ['c']],
    ['-1:b', /^History range '-1:b' runs the wrong way: c is not below b/],
    // A bare ±N end counts from the start (Alembic: `base:-2` "didn't produce 2 migrations").
    ['base:+2', ['a', 'b']],
    ['b:+1', ['b', 'c']],
    ['c:-1', /^History range 'c:-1' runs the wrong way: c is not below b/],
    [':-1', /^Cannot go 1 step back/],
    ['b', /^History range 'b' needs a colon: \[start\]:\[end\], \[start\]: or :\[end\]/],
    ['zz:', /^Unknown revision 'zz'/],
    ['-5:', /^Cannot go 5 steps back/],
  ];
  for (const [range, expected] of cases) {
    test(`-r ${range}`, () => {
      const run = () => idsOf(historyRange(linear(), applied('a', 'b'), range));
      if (expected instanceof RegExp) throwsLine(run, expected);
      else assert.deepEqual(run(), expected);
    });
  }
  test('from a label@base (base, as Alembic reads it) to its head', () => {
    // Alembic 1.8 `history -r feat@base:feat@head` on a → b (feat), a → c: a and b.
    assert.deepEqual(idsOf(historyRange(graphOf('a:', 'b:a@feat', 'c:a'), applied(), 'feat@base:feat@head')), ['a', 'b']);
  });
  test("from a label@base with two roots: only what grows from the label's root", () => {
    // Alembic 1.8 `history -r ops@base:`: the other root's revisions are left out.
    assert.deepEqual(idsOf(historyRange(graphOf('a:@ops', 'b:a', 'x:'), applied(), 'ops@base:')), ['a', 'b']);
  });
  test('from a label@base: the end revisions on its line, and everything below them', () => {
    // Alembic 1.8 (differential run): a root merged into the label's line is shown; an end off it shows nothing.
    const g = graphOf('a:@ops', 'b:a', 'x:', 'm:b,x');
    assert.deepEqual(idsOf(historyRange(g, applied(), 'ops@base:')), ['a', 'b', 'x', 'm']);
    assert.deepEqual(idsOf(historyRange(graphOf('a:@ops', 'b:a', 'x:'), applied(), 'ops@base:x')), []);
    // An end below the label's branchpoint does not carry the label: nothing (Alembic 1.8).
    assert.deepEqual(idsOf(historyRange(graphOf('a:', 'b:a', 'x:a', 'c:b@fix'), applied(), 'fix@base:a')), []);
  });
  test('on two heads, an end of heads shows both branches', () => {
    assert.deepEqual(idsOf(historyRange(forked(), applied(), 'b:')), ['b']);
    assert.deepEqual(idsOf(historyRange(forked(), applied(), 'a:heads')), ['a', 'b', 'c']);
    // Alembic 1.8: `-1` from each head lands on a for both, so `-1:` is a and both branches; `-2:` fails.
    assert.deepEqual(idsOf(historyRange(forked(), applied(), '-1:')), ['a', 'b', 'c']);
    throwsLine(() => historyRange(forked(), applied(), '-2:'), /^Multiple head revisions are present \(b, c\) for '-2:'/);
    throwsLine(() => historyRange(graphOf('a:', 'b:a', 'c:a', 'd:c'), applied(), '-1:'), /^Multiple head revisions are present \(b, d\)/);
  });
});

describe('a relative step the wrong way', () => {
  // Alembic: "Relative revision -1 didn't produce 1 migrations" for both, wherever the database stands.
  const cases: [command: 'upgrade' | 'downgrade', word: string, expected: RegExp | undefined][] = [
    ['upgrade', '-1', /^upgrade goes forward, and '-1' counts back from the current revision\. To revert, run 'veloiq db downgrade -- -1'\.$/],
    ['downgrade', '+2', /^downgrade goes back, and '\+2' counts forward from the current revision\. To apply, run 'veloiq db upgrade \+2'\.$/],
    ['upgrade', '+1', undefined],
    ['downgrade', '-1', undefined],
    ['upgrade', 'head-1', undefined],
    ['downgrade', 'base+1', undefined],
    ['upgrade', 'feat@-1', /^upgrade goes forward, and 'feat@-1' counts back/],
    ['downgrade', 'b1@+1', /^downgrade goes back, and 'b1@\+1' counts forward/],
    ['downgrade', 'b1+1', undefined],
  ];
  for (const [command, word, expected] of cases) {
    test(`${command} ${word}`, () => {
      if (expected) throwsLine(() => assertDirection(command, word), expected);
      else assertDirection(command, word);
    });
  }
});

describe('upgrade plans', () => {
  plans(upgradePlan, [
    // Alembic: `upgrade heads` runs a, then each branch; `upgrade m` runs the merge after both.
    [forked, [], 'heads', ['a', 'b', 'c']],
    [merged, [], 'head', ['a', 'b', 'c', 'm']],
    // Out of order: c applied, then b arrives with parent a: `upgrade heads` applies b only.
    [forked, ['a', 'c'], 'heads', ['b']],
    [merged, ['a', 'c'], 'head', ['b', 'm']],
    [labelled, ['a'], 'feat@head', ['b', 'b2']],
    // Alembic exits 0 with nothing to do for an applied revision, an older one, and base.
    [forked, ['a', 'b'], 'b', []],
    [forked, ['a', 'b'], 'a', []],
    [forked, ['a', 'b'], 'base', []],
    // Checked on Alembic 1.8 (differential run): one branch of two, label steps, a label@rev.
    [forked, [], 'b@head', ['a', 'b']],
    [forked, ['a', 'b'], 'c', ['c']],
    [twoLabels, [], 'feat@+1', ['a']],
    [twoLabels, ['a'], 'fix@+2', ['c', 'c2']],
    [twoLabels, ['a', 'c', 'c2'], 'feat@b2', ['b', 'b2']],
    [twoLabels, [], 'fix@base', []],
    [mergedOn, ['a', 'b'], 'head', ['c', 'm', 'd']],
    [mergedLabelled, ['a', 'b'], 'feat@head', ['c', 'm', 'd']],
    [mergedLabelled, ['a', 'b', 'c', 'm'], '+1', ['d']],
  ]);
});

describe('downgrade plans', () => {
  plans(downgradePlan, [
    // Alembic: `downgrade b` from m reverts m only; `current` then shows b and c.
    [merged, ['a', 'b', 'c', 'm'], 'b', ['m']],
    // Alembic: `downgrade a` from m reverts m, then b and c.
    [merged, ['a', 'b', 'c', 'm'], 'a', ['m', 'c', 'b']],
    [merged, ['a', 'b', 'c', 'm'], 'base', ['m', 'c', 'b', 'a']],
    // Alembic: `downgrade c@-1` with heads b2 and c reverts c and keeps b2.
    [labelled, ['a', 'b', 'b2', 'c'], 'c@-1', ['c']],
    [labelled, ['a', 'b', 'b2', 'c'], 'feat@-1', ['b2']],
    // Alembic 1.8: `downgrade feat@base` is base below feat's root: with one root, everything
    // goes, the other branch too (checked with labels on both branches).
    [labelled, ['a', 'b', 'b2', 'c'], 'feat@base', ['c', 'b2', 'b', 'a']],
    [forked, ['a', 'b', 'c'], 'b@base', ['c', 'b', 'a']],
    // Two roots: only the root below the label, and what is applied above it.
    [() => graphOf('a:', 'b:a', 'x:@other', 'y:x'), ['a', 'b', 'x', 'y'], 'other@base', ['y', 'x']],
    // `label@rev` reverts only the child branch of rev that leads to the label (Alembic 1.8:
    // `downgrade feat@a` keeps fix's branch, `downgrade c2@a` keeps feat's).
    [labelled, ['a', 'b', 'b2', 'c'], 'feat@a', ['b2', 'b']],
    [labelled, ['a', 'b', 'b2', 'c'], 'c@a', ['c']],
    [merged, ['a', 'b', 'c', 'm'], 'b@b', ['m']],
    [merged, ['a', 'b', 'c', 'm'], 'c@a', ['m', 'c']],
    [twoLabels, ['a', 'b', 'b2', 'c', 'c2'], 'fix@a', ['c2', 'c']],
    [twoLabels, ['a', 'b', 'b2', 'c', 'c2'], 'fix@-1', ['c2']],
    // Across a merge with one more revision on top: b stays (Alembic 1.8's current: b, c).
    [mergedOn, ['a', 'b', 'c', 'm', 'd'], 'c', ['d', 'm']],
    [mergedOn, ['a', 'b', 'c', 'm', 'd'], 'm', ['d']],
    [mergedOn, ['a', 'b', 'c', 'm', 'd'], 'base', ['d', 'm', 'c', 'b', 'a']],
    [mergedOn, ['a', 'b', 'c', 'm', 'd'], 'b@base', ['d', 'm', 'c', 'b', 'a']],
    // Alembic 1.8 from d: `feat@-1` reverts d; `b@a` and `feat@a` revert d, m and b, keeping c.
    [mergedLabelled, ['a', 'b', 'c', 'm', 'd'], 'feat@-1', ['d']],
    [mergedLabelled, ['a', 'b', 'c', 'm', 'd'], 'b@a', ['d', 'm', 'b']],
    [mergedLabelled, ['a', 'b', 'c', 'm', 'd'], 'feat@a', ['d', 'm', 'b']],
    [mergedLabelled, ['a', 'b', 'c', 'm', 'd'], 'm-1', /^Ambiguous revision 'm-1': m is a mergepoint of b, c/],
    // `<rev>-N` is a revision like an id: all above it goes, a merge on top included (Alembic 1.8, differential run).
    [() => graphOf('a:', 'b:a', 'c:b', 'x:', 'm:c,x'), ['a', 'b', 'c', 'x', 'm'], 'c-1', ['m', 'c']],
    [() => graphOf('a:', 'b:a', 'c:b'), ['a', 'b', 'c'], 'c-3', ['c', 'b', 'a']],
    // Alembic: "Destination c is not a valid downgrade target from current head(s)".
    [forked, ['a', 'b'], 'c', /^Revision c is ahead of the current revision \(b\); downgrade only goes back\. To apply it use 'veloiq db upgrade c'/],
    // A gap: c applied on top of a, b (its parent) never applied.
    [() => graphOf('a:', 'b:a', 'c:b'), ['a', 'c'], 'b', /^Revision b is not applied, so the database cannot be left at it/],
    [() => graphOf('a:', 'b:a'), ['a'], 'b', /^Revision b is ahead of the current revision \(a\); downgrade only goes back/],
  ]);
});

describe('stamp plans', () => {
  // As Alembic 1.8 stamps (each checked): a target replaces the applied heads on its line and
  // keeps the other branches; --purge empties the record first.
  const cases: [graph: () => RevisionGraph, record: string[], words: string[], expected: { record: string[]; remove: string[] }, purge?: boolean][] = [
    [merged, ['a', 'b', 'c', 'm'], ['b'], { record: [], remove: ['m', 'c'] }],
    [merged, ['a', 'b'], ['b', 'c'], { record: ['c'], remove: [] }],
    [merged, ['a', 'b', 'c'], ['m'], { record: ['m'], remove: [] }],
    [forked, [], ['heads'], { record: ['a', 'b', 'c'], remove: [] }],
    // Alembic: `stamp c` at b gives b and c (a branch not on b's line is added).
    [forked, ['a', 'b'], ['c'], { record: ['c'], remove: [] }],
    [forked, ['a', 'b'], ['c'], { record: ['c'], remove: ['b'] }, true],
    // `stamp a` at b and c: both heads are on a's line, so both go.
    [forked, ['a', 'b', 'c'], ['a'], { record: [], remove: ['c', 'b'] }],
    [forked, ['a', 'b', 'c'], ['base'], { record: [], remove: ['c', 'b', 'a'] }],
    // At d above the merge, `stamp c` leaves c alone (b, m, d unrecorded).
    [() => graphOf('a:', 'b:a', 'c:a', 'm:b,c', 'd:m'), ['a', 'b', 'c', 'm', 'd'], ['c'], { record: [], remove: ['d', 'm', 'b'] }],
    // Alembic records b for `stamp b a` from base (a is below b).
    [forked, [], ['b', 'a'], { record: ['a', 'b'], remove: [] }],
    // Alembic 1.8 fails with a KeyError on `stamp b c` from d (its bug); each word stamps its branch here.
    [() => graphOf('a:', 'b:a', 'c:a', 'm:b,c', 'd:m'), ['a', 'b', 'c', 'm', 'd'], ['b', 'c'], { record: [], remove: ['d', 'm'] }],
    [labelled, ['a', 'b', 'b2'], ['c'], { record: ['c'], remove: [] }],
    // `stamp feat@base` unrecords feat's branch only (Alembic 1.8, differential run): c stays.
    [labelled, ['a', 'b', 'b2', 'c'], ['feat@base'], { record: [], remove: ['b2', 'b'] }],
    // Base among other words adds nothing (Alembic 1.8 `stamp head feat@base` at head: unchanged).
    [mergedLabelled, ['a', 'b', 'c', 'm', 'd'], ['head', 'feat@base'], { record: [], remove: [] }],
    // `X@rev` replaces the applied heads on X's line and on rev's once rev is above or below one
    // of them (Alembic 1.8, each checked): `feat@a` is `stamp a` here, c goes too; `feat@b` at b2
    // and c moves b2 back and keeps c; on neither line, rev is a branch beside them.
    [labelled, ['a', 'b', 'b2', 'c'], ['feat@a'], { record: [], remove: ['c', 'b2', 'b'] }],
    [labelled, ['a', 'c'], ['feat@a'], { record: [], remove: ['c'] }],
    [labelled, ['a', 'b', 'b2', 'c'], ['feat@b'], { record: [], remove: ['b2'] }],
    [labelled, ['a', 'c'], ['feat@b'], { record: ['b'], remove: [] }],
    [labelled, ['a'], ['feat@b2'], { record: ['b', 'b2'], remove: [] }],
    // feat on the branchpoint b: x carries feat too, so `feat@d` (above c) unrecords x (differential
    // run, seed 141), `feat@c` from d and x leaves c alone, and from x alone d is a branch beside x.
    [labelOnFork, ['a', 'b', 'c', 'x'], ['feat@d'], { record: ['d'], remove: ['x'] }],
    [labelOnFork, ['a', 'b', 'c', 'd', 'x'], ['feat@c'], { record: [], remove: ['x', 'd'] }],
    [labelOnFork, ['a', 'b', 'c', 'd', 'x'], ['feat@b'], { record: [], remove: ['x', 'd', 'c'] }],
    [labelOnFork, ['a', 'b', 'x'], ['feat@d'], { record: ['c', 'd'], remove: [] }],
    // A plain id keeps what is not on its line: `stamp d` at c and x replaces c only.
    [labelOnFork, ['a', 'b', 'c', 'x'], ['d'], { record: ['d'], remove: [] }],
    // On purpose (README): `stamp heads` at a and x (a second root, its own head) records b and
    // keeps x; Alembic 1.8 replaces both a and x with b (differential run, seed 393).
    [() => graphOf('a:', 'b:a', 'x:'), ['a', 'x'], ['heads'], { record: ['b'], remove: [] }],
    // The same with a head already applied: Alembic 1.8 unrecords c (and x for `feat@heads`).
    [labelled, ['a', 'b', 'c'], ['heads'], { record: ['b2'], remove: [] }],
    [labelOnFork, ['a', 'b', 'c', 'x'], ['feat@heads'], { record: ['d'], remove: [] }],
    // Ours only (Alembic's stamp takes no relative word): `b@-1` moves b's branch back, c stays.
    [forked, ['a', 'b', 'c'], ['b@-1'], { record: [], remove: ['b'] }],
  ];
  for (const [graph, record, words, expected, purge] of cases) {
    test(`stamp ${purge ? '--purge ' : ''}${words.join(' ')} with ${record.join(', ') || 'nothing'} applied`, () => {
      const g = graph();
      const targets = words.map((w) => resolveTarget(g, applied(...record), w));
      const plan = stampPlan(g, applied(...record), targets, purge);
      assert.deepEqual({ record: idsOf(plan.record), remove: idsOf(plan.remove) }, expected);
    });
  }
  test('stamp head with two heads is refused (Alembic: "Multiple heads are present")', () => {
    throwsLine(() => resolveTarget(forked(), applied(), 'head'), /^Multiple head revisions are present/);
  });
});
