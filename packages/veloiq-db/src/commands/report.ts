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
import { editedRevisionAdvice } from '../core/edit-advice';
import { checkText, generateText, migrateText } from './schema-report';
import type { LintResult } from './lint';
import { lintText } from './lint-report';

export type CommandResult = CurrentResult | HistoryResult | UpgradeResult | DowngradeResult | StampResult | SqlResult | GenerateResult | MigrateResult | CheckResult | StatusResult | LintResult;

function behind(pending: number): string {
  return `${pending} revision${pending === 1 ? '' : 's'} behind head`;
}

function currentText(r: CurrentResult): string[] {
  if (r.headId === null) return ['No revisions exist yet. Create one with: veloiq db migrate -m "message"'];
  if (r.id === null) return [`No revision applied (base); ${behind(r.pending)}. Run: veloiq db upgrade`];
  return [`${r.id} ${r.description}`, r.head ? 'At head.' : `Not at head: ${behind(r.pending)} (head is ${r.headId}). Run: veloiq db upgrade`];
}

function historyText(r: HistoryResult): string[] {
  if (r.revisions.length === 0) return ['No revisions yet. Create one with: veloiq db migrate -m "message"'];
  // Newest first, as `alembic history` prints; the markers say where the database stands.
  return [...r.revisions].reverse().map((e) => {
    const marks = [e.head && 'head', e.current && 'current', !e.applied && 'pending'].filter(Boolean);
    return `${e.id}  ${e.description}${marks.length ? `  (${marks.join(', ')})` : ''}`;
  });
}

function upgradeText(r: UpgradeResult): string[] {
  if (r.applied.length === 0) return r.current ? [`Already at head (${r.current}); nothing to apply.`] : ['No revisions to apply.'];
  return [
    ...r.applied.map((a) => `Applied ${a.id} ${a.description}`),
    `${r.applied.length} revision${r.applied.length === 1 ? '' : 's'} applied; now at ${r.current}${r.head ? ' (head)' : ''}.`,
  ];
}

function downgradeText(r: DowngradeResult): string[] {
  if (r.reverted.length === 0) return [`Already at ${r.current ?? 'base'}; nothing to revert.`];
  return [
    ...r.reverted.map((a) => `Reverted ${a.id} ${a.description}`),
    `${r.reverted.length} revision${r.reverted.length === 1 ? '' : 's'} reverted; now at ${r.current ?? 'base (no revision applied)'}.`,
  ];
}

function stampText(r: StampResult): string[] {
  const at = `${r.current ?? 'base'}${r.head && r.current ? ' (head)' : ''}`;
  if (r.recorded.length + r.removed.length === 0) return [`Already stamped at ${at}; the record is unchanged.`];
  return [
    ...r.recorded.map((a) => `Recorded ${a.id} ${a.description}`),
    ...r.removed.map((a) => `Unrecorded ${a.id} ${a.description}`),
    `Stamped at ${at}; no migration SQL was run.`,
  ];
}

function statusText(r: StatusResult): string[] {
  const pending = r.pending.length > 0 ? `${r.pending.length} revision${r.pending.length === 1 ? '' : 's'} pending` : '';
  const at =
    r.headId === null && r.current === null ? 'No revisions exist yet.'
    : r.current === null ? `At base (no revision applied)${pending ? `; ${pending}` : ''}.`
    : pending ? `At ${r.current}; ${pending} (head is ${r.headId}).`
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
    edited.length > 0 && `applied revision${edited.length === 1 ? '' : 's'} ${edited.map((e) => e.id).join(', ')} changed since ${edited.length === 1 ? 'it was' : 'they were'} applied`,
    missing.length > 0 && `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} recorded as applied but no revision file has ${missing.length === 1 ? 'that name' : 'those names'}`,
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
      return generateText(result).join('\n');
    case 'migrate':
      return migrateText(result).join('\n');
    case 'check':
      return checkText(result).join('\n');
    case 'status':
      return statusText(result).join('\n');
    case 'lint':
      return lintText(result).join('\n');
  }
}

/** The JSON a script reads: `history` is the bare array, oldest first; the rest, the result. */
export function toJson(result: CommandResult): string {
  if (result.kind === 'history') return JSON.stringify(result.revisions);
  const { kind: _kind, ...rest } = result;
  return JSON.stringify(rest);
}
