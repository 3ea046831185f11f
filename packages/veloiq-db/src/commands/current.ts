import { notifier, withDatabase, readPosition, type CommandOptions } from './session';

export interface CurrentResult {
  kind: 'current';
  /** The applied revision's id; null at base. */
  id: string | null;
  description: string | null;
  head: boolean;
  headId: string | null;
  /** Revisions not applied yet. */
  pending: number;
}

/** The revision applied now, and whether the database is at head. */
export function current(options: CommandOptions): Promise<CurrentResult> {
  return withDatabase(options, async (db) => {
    const position = await readPosition(db, notifier(options));
    const { revisions } = position;
    const applied = revisions[position.current];
    const pending = revisions.filter((r) => !position.appliedNames.has(r.name)).length;
    return {
      kind: 'current',
      id: applied?.id ?? null,
      description: applied?.description ?? null,
      head: pending === 0,
      headId: revisions.at(-1)?.id ?? null,
      pending,
    };
  });
}
