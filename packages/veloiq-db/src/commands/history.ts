import { notifier, withDatabase, readPosition, type CommandOptions } from './session';

export interface HistoryEntry {
  id: string;
  description: string;
  name: string;
  applied: boolean;
  current: boolean;
  head: boolean;
}

export interface HistoryResult {
  kind: 'history';
  /** Oldest first. */
  revisions: HistoryEntry[];
}

/** Every revision, oldest first, with what is applied, current and head. */
export function history(options: CommandOptions): Promise<HistoryResult> {
  return withDatabase(options, async (db) => {
    const position = await readPosition(db, notifier(options));
    const last = position.revisions.length - 1;
    return {
      kind: 'history',
      revisions: position.revisions.map((r, i) => ({
        id: r.id,
        description: r.description,
        name: r.name,
        applied: position.appliedNames.has(r.name),
        current: i === position.current,
        head: i === last,
      })),
    };
  });
}
