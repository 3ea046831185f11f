import type { CurrentResult } from './current';
import type { HistoryResult } from './history';
import type { UpgradeResult } from './upgrade';
import type { DowngradeResult } from './downgrade';
import type { StampResult } from './stamp';
import type { SqlResult } from './sql';
import type { GenerateResult } from './generate';
import type { MigrateResult } from './migrate';
import type { CheckResult } from './check';
import type { StatusResult } from './status';
import type { HeadsResult, GraphEntry, RevisionDetail } from './heads';
import type { BranchesResult } from './branches';
import type { ShowResult } from './show';
import type { MergeResult } from './merge';
import { standingText } from '../core/revisions';
import { editedRevisionAdvice } from '../core/edit-advice';
import { requireOnUse } from '../core/on-use';
import type { LintResult } from './lint';

// Required when a result needs them: they load MikroORM's schema tools and the lint runner,
// which the read-only commands (current, history, heads) never use and should not wait for.
const schemaReport = () => requireOnUse(() => require('./schema-report') as typeof import('./schema-report'));
const lintReport = () => requireOnUse(() => require('./lint-report') as typeof import('./lint-report'));

export type CommandResult =
  | CurrentResult
  | HistoryResult
  | UpgradeResult
  | DowngradeResult
  | StampResult
  | SqlResult
  | GenerateResult
  | MigrateResult
  | CheckResult
  | StatusResult
  | LintResult
  | HeadsResult
  | BranchesResult
  | ShowResult
  | MergeResult;

function behind(pending: number): string {
  return `${pending} revision${pending === 1 ? '' : 's'} behind head`;
}

/** A line naming the graph's heads when there are several: they wait for a merge. */
function headsLine(graphHeads: string[]): string[] {
  if (graphHeads.length < 2) return [];
  return [
    `The revisions have ${graphHeads.length} heads (${graphHeads.join(', ')}): apply them all with 'veloiq db upgrade heads', and join them with 'veloiq db merge -m "merge heads"'.`,
  ];
}

function currentText(r: CurrentResult): string[] {
  if (r.details) return r.details.flatMap((d) => detailText(d));
  if (r.headId === null) return ['No revisions exist yet. Create one with: veloiq db migrate -m "message"'];
  if (r.id === null) return [`No revision applied (base); ${behind(r.pending)}. Run: veloiq db upgrade`, ...headsLine(r.graphHeads)];
  if (r.heads.length > 1) {
    return [
      ...r.heads.map((h) => currentLine(r, h)),
      `The database stands on ${r.heads.length} branches${r.head ? ', all at head' : `; ${behind(r.pending)}`}.`,
      ...headsLine(r.graphHeads),
    ];
  }
  if (r.graphHeads.length > 1) {
    // One branch's head is a head (Alembic marks it so), though the other branch waits.
    return [currentLine(r, r.heads[0]), `Not at head: ${behind(r.pending)}.`, ...headsLine(r.graphHeads)];
  }
  return [currentLine(r, r.heads[0]), r.head ? 'At head.' : `Not at head: ${behind(r.pending)} (head is ${r.headId}). Run: veloiq db upgrade`];
}

/** `mwwywzue (head) (mergepoint), create orders table`: Alembic's `current` line, with the message after the comma as its history prints it. */
const currentLine = (r: CurrentResult, h: CurrentResult['heads'][number]) => `${h.id}${marked([], ...(r.markers[h.id] ?? []))}, ${h.description}`;

/** ` (feat) (head) (branchpoint)`: labels, then each marker in parentheses, as Alembic prints them. */
function marked(labels: readonly string[], ...marks: (string | false)[]): string {
  return [labels.length > 0 && labels.join(', '), ...marks]
    .filter(Boolean)
    .map((mark) => ` (${mark})`)
    .join('');
}

function historyText(r: HistoryResult): string[] {
  if (r.revisions.length === 0) return ['No revisions yet. Create one with: veloiq db migrate -m "message"'];
  if (r.details) {
    const details = r.details;
    return r.revisions
      .map((e, i) => detailText(details[i], e.current && 'current', !e.applied && 'pending'))
      .reverse()
      .flat();
  }
  // The database applied them in another order than listed (a revision arrived late): say so.
  const applied = r.revisions.filter((e) => e.applied);
  const reordered = applied.some((e, i) => e.appliedOrder !== i + 1);
  // Newest first, as `alembic history` prints (`parent -> id (markers), message`); the markers
  // say where the database stands too.
  return [...r.revisions]
    .reverse()
    .map(
      (e) =>
        `${e.parents.join(', ') || '<base>'} -> ${e.id}${marked(
          e.labels,
          e.head && 'head',
          e.current && 'current',
          e.branchpoint && 'branchpoint',
          e.mergepoint && 'mergepoint',
          !e.applied && 'pending',
          reordered && e.appliedOrder !== null && `applied #${e.appliedOrder}`,
        )}, ${e.description}`,
    );
}

function upgradeText(r: UpgradeResult): string[] {
  if (r.applied.length === 0) {
    if (r.target === 'base') return [`Nothing to upgrade: base is where every revision starts (now at ${standingText(r)}).`];
    if (r.target) return [`Nothing to upgrade: ${r.target} is already applied (now at ${standingText(r)}${r.head ? ', head' : ''}).`];
    return r.current ? [`Already at head (${standingText(r)}); nothing to apply.`] : ['No revisions to apply.'];
  }
  return [
    ...r.applied.map((a) => `Applied ${a.id} ${a.description}`),
    `${r.applied.length} revision${r.applied.length === 1 ? '' : 's'} applied; now at ${standingText(r)}${r.head ? ' (head)' : ''}.`,
  ];
}

function downgradeText(r: DowngradeResult): string[] {
  if (r.reverted.length === 0) return [`Already at ${standingText(r)}; nothing to revert.`];
  return [
    ...r.reverted.map((a) => `Reverted ${a.id} ${a.description}`),
    `${r.reverted.length} revision${r.reverted.length === 1 ? '' : 's'} reverted; now at ${standingText(r, 'base (no revision applied)')}.`,
  ];
}

function stampText(r: StampResult): string[] {
  const where = `${standingText(r)}${r.head && r.current ? ' (head)' : ''}`;
  if (r.recorded.length + r.removed.length === 0) return [`Already stamped at ${where}; the record is unchanged.`];
  return [
    ...r.recorded.map((a) => `Recorded ${a.id} ${a.description}`),
    ...r.removed.map((a) => `Unrecorded ${a.id} ${a.description}`),
    `Stamped at ${where}; no migration SQL was run.`,
  ];
}

/** `id (feat) (head), message`: a revision as Alembic's heads and branches list it, with its message. */
function entryLine(e: GraphEntry, ...marks: (string | false)[]): string {
  return `${e.id}${marked(e.labels, ...marks)}, ${e.description}`;
}

function headsText(r: HeadsResult): string[] {
  if (r.heads.length === 0) return ['No revisions yet. Create one with: veloiq db migrate -m "message"'];
  if (r.details) return [...r.details.flatMap((d) => detailText(d)), ...headsLine(r.heads.map((h) => h.id))];
  return [...r.heads.map((h) => entryLine(h, 'head')), ...headsLine(r.heads.map((h) => h.id))];
}

function branchesText(r: BranchesResult): string[] {
  if (r.branchpoints.length === 0) return ['No branchpoints: every revision has at most one child.'];
  // Each child under its branchpoint (after its block with --verbose), its arrow indented by the
  // branchpoint id's width, as Alembic's.
  const marks = (e: GraphEntry) => r.markers[e.id] ?? [];
  return r.branchpoints.flatMap((b, i) => [
    ...(r.details ? detailText(r.details[i]) : [entryLine(b, ...marks(b))]),
    ...b.children.map((c) => `${' '.repeat(b.id.length)} -> ${entryLine(c, ...marks(c))}`),
  ]);
}

function showText(r: ShowResult): string[] {
  return detailText(r).slice(0, -1);
}

/** One revision in full (show, and the --verbose listings, blocks separated by an empty line), as Alembic's verbose entry. */
function detailText(r: RevisionDetail, ...marks: (string | false)[]): string[] {
  return [
    `Rev: ${r.id}${marked([], r.head && 'head', r.branchpoint && 'branchpoint', r.mergepoint && 'mergepoint', ...marks)}`,
    r.mergepoint ? `Merges: ${r.parents.join(', ')}` : `Parent: ${r.parents.join(', ') || '<base>'}`,
    ...(r.branchpoint ? [`Branches into: ${r.children.join(', ')}`] : []),
    ...(r.labels.length ? [`Branch names: ${r.labels.join(', ')}`] : []),
    `Path: ${r.path}`,
    '',
    `    ${r.description}`,
    '',
  ];
}

function mergeText(r: MergeResult): string[] {
  return [
    `Wrote ${r.revision.path}: merge revision ${r.revision.id} of ${r.revision.parents.join(' and ')} (no schema change).`,
    `Commit it; then 'veloiq db upgrade' applies every branch and the merge.`,
  ];
}

function statusText(r: StatusResult): string[] {
  const pending = r.pending.length > 0 ? `${r.pending.length} revision${r.pending.length === 1 ? '' : 's'} pending` : '';
  const at =
    r.headId === null && r.current === null
      ? 'No revisions exist yet.'
      : r.current === null
        ? `At base (no revision applied)${pending ? `; ${pending}` : ''}.`
        : pending
          ? `At ${r.current}; ${pending} (head is ${r.headId}).`
          : `At ${r.current} (head).`;
  return [
    at,
    ...r.pending.map((p) => `Pending: ${p.id} ${p.description}`),
    ...r.edited.map((e) => `Edited since applied: ${e.id} ${e.description}`),
    ...r.missing.map((name) => `Recorded, but no revision file: ${name}`),
  ];
}

/**
 * The one line a result that is a failure ends with (on stderr, with a non-zero exit), after its
 * report: `status` fails when the database ran something other than the files say.
 */
export function failureOf(result: CommandResult): string | undefined {
  if (result.kind !== 'status' || result.ok) return undefined;
  const { edited, missing } = result;
  const problems = [
    edited.length > 0 &&
      `applied revision${edited.length === 1 ? '' : 's'} ${edited.map((e) => e.id).join(', ')} changed since ${edited.length === 1 ? 'it was' : 'they were'} applied`,
    missing.length > 0 &&
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} recorded as applied but no revision file has ${missing.length === 1 ? 'that name' : 'those names'}`,
  ].filter(Boolean);
  return (
    `The database ran revisions that differ from the files: ${problems.join('; ')}. ` +
    (edited.length > 0
      ? editedRevisionAdvice(result.restamp)
      : `Restore the files (git checkout) and put new changes in a new revision (veloiq db migrate), or fix the record with 'veloiq db stamp <revision>'.`)
  );
}

/** The human-readable lines for a result. */
export function toText(result: CommandResult): string {
  switch (result.kind) {
    case 'current':
      return currentText(result).join('\n');
    case 'history':
      return historyText(result).join('\n');
    case 'upgrade':
      return upgradeText(result).join('\n');
    case 'downgrade':
      return downgradeText(result).join('\n');
    case 'stamp':
      return stampText(result).join('\n');
    case 'sql':
      return result.sql;
    case 'generate':
      return schemaReport().generateText(result).join('\n');
    case 'migrate':
      return schemaReport().migrateText(result).join('\n');
    case 'check':
      return schemaReport().checkText(result).join('\n');
    case 'status':
      return statusText(result).join('\n');
    case 'lint':
      return lintReport().lintText(result).join('\n');
    case 'heads':
      return headsText(result).join('\n');
    case 'branches':
      return branchesText(result).join('\n');
    case 'show':
      return showText(result).join('\n');
    case 'merge':
      return mergeText(result).join('\n');
  }
}

/** The JSON a script reads: `history` is the bare array, oldest first; the rest, the result (less what only the text uses). */
export function toJson(result: CommandResult): string {
  if (result.kind === 'history') return JSON.stringify(result.revisions);
  const { kind: _kind, markers: _markers, ...rest } = result as CommandResult & { markers?: unknown };
  return JSON.stringify(rest);
}
