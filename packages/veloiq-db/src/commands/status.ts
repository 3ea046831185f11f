import { appliedRecords, driftOf } from '../core/record';
import { listRevisions, positionOf } from '../core/revisions';
import { withDatabase, type CommandOptions } from './session';

interface RevisionRef {
  id: string;
  description: string;
}

export interface StatusResult {
  kind: 'status';
  /** The newest applied revision; null at base. */
  current: string | null;
  headId: string | null;
  /** Revisions with a file and no record, oldest first: what `upgrade` would apply. */
  pending: RevisionRef[];
  /** Applied revisions whose file changed since (the recorded checksum differs). */
  edited: RevisionRef[];
  /** Names recorded as applied that no revision file has (a file deleted, renamed, or a name typed by hand). */
  missing: string[];
  /** The stamps that record intended edits (see editedRevisionAdvice), when revisions were edited. */
  restamp?: string;
  /** False when the database ran something other than the files say (edited or missing): the command fails. */
  ok: boolean;
}

/**
 * Where the live database stands against the revision files: what is pending, and whether what it
 * ran still matches the files (checksums recorded at apply time, names recorded). It reads the
 * database on every run, so it is never cached (unlike `check`, which answers from files alone).
 * Pending revisions are normal before a deploy's upgrade; drift is not, so only drift fails.
 */
export function status(options: CommandOptions): Promise<StatusResult> {
  return withDatabase(options, async (db) => {
    const revisions = listRevisions(db.migrationsDir);
    const records = await appliedRecords(db);
    const position = positionOf(
      revisions,
      records.map((r) => r.name),
    );
    const { edited, missing, restamp } = await driftOf(db, revisions, records);
    const ref = ({ id, description }: RevisionRef) => ({ id, description });
    return {
      kind: 'status',
      current: revisions[position.current]?.id ?? null,
      headId: revisions.at(-1)?.id ?? null,
      pending: revisions.filter((r) => !position.appliedNames.has(r.name)).map(ref),
      edited: edited.map(ref),
      missing,
      ...(restamp ? { restamp } : {}),
      ok: edited.length === 0 && missing.length === 0,
    };
  });
}
