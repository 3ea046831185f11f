import type { Revision } from './revisions';

/**
 * The one piece of advice about editing a revision, said the same way by a failed run, the
 * drift warning and `db-check`, so no message sends the user back to another.
 */

/**
 * The commands that record the current files of applied revisions: stamping back to the revision
 * before the oldest edited one and forward again rewrites their records with fresh checksums, and
 * runs no migration SQL.
 */
export function restampCommand(revisions: Revision[], edited: Revision[], appliedNames: Set<string>): string | undefined {
  const oldest = revisions.findIndex((r) => edited.includes(r));
  let newest = -1;
  revisions.forEach((r, i) => appliedNames.has(r.name) && (newest = i));
  if (oldest === -1 || newest === -1) return undefined;
  return `veloiq db stamp ${revisions[oldest - 1]?.id ?? 'base'} && veloiq db stamp ${revisions[newest].id}`;
}

/** What to do about an applied revision whose file changed. */
export function editedRevisionAdvice(restamp: string | undefined): string {
  return (
    `If the edit was a mistake, restore the file (git checkout). If it is intended (no other database ran the old version, or only its down() changed), ` +
    `record the new version${restamp ? `: ${restamp}` : " with 'veloiq db stamp'"}. A change that databases which already ran it need goes in a new revision (veloiq db migrate).`
  );
}

/** The end of a failed run's message: when editing the failed revision is fine. */
export function fixRevisionAdvice(direction: 'up' | 'down'): string {
  return direction === 'up'
    ? 'Nothing was changed; fix the revision and run the command again (it is not applied here, so editing it is fine unless another database already ran it: then put the fix in a new revision).'
    : "Nothing was changed; fix the revision's down() and run the command again (editing an applied revision's down() is fine: the downgrade then removes it from the record).";
}
