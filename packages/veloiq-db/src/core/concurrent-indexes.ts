/**
 * `migrate --concurrent-indexes`: an index built on a table that exists blocks its writes until
 * it is done; `create index concurrently` does not, but PostgreSQL refuses it inside a
 * transaction. So those indexes (and their drops, in `down()`) move to a revision of their own
 * whose `isTransactional()` returns false, built concurrently and safe to repeat (`if not exists`),
 * since a concurrent build that fails leaves nothing recorded. Indexes on a table the same
 * revision creates stay where they are: nothing reads that table yet.
 */
const CREATE_INDEX = /^create (unique )?index ("(?:[^"]|"")+"|\S+) (on .*)$/is;
const DROP_INDEX = /^drop index (?:if exists )?("(?:[^"]|"")+"|\S+)$/is;
const CREATE_TABLE = /^create table (\S+)/i;
const ON_TABLE = /^on (?:only )?("(?:[^"]|"")+"(?:\."(?:[^"]|"")+")?|\S+)/i;

export interface RevisionStatements {
  up: string[];
  down: string[];
}

const bare = (sql: string) => sql.trim().replace(/;\s*$/, '');

export function splitConcurrentIndexes({ up, down }: RevisionStatements): { main: RevisionStatements; concurrent: RevisionStatements } {
  const created = new Set(up.map((sql) => CREATE_TABLE.exec(bare(sql))?.[1]).filter(Boolean));
  const moved = new Set<string>();
  const main: RevisionStatements = { up: [], down: [] };
  const concurrent: RevisionStatements = { up: [], down: [] };
  for (const sql of up) {
    const index = CREATE_INDEX.exec(bare(sql));
    const table = index && ON_TABLE.exec(index[3])?.[1];
    if (!index || !table || created.has(table)) {
      main.up.push(sql);
      continue;
    }
    moved.add(index[2]);
    concurrent.up.push(`create ${index[1] ?? ''}index concurrently if not exists ${index[2]} ${index[3]};`);
  }
  for (const sql of down) {
    const drop = DROP_INDEX.exec(bare(sql));
    if (drop && moved.has(drop[1])) concurrent.down.push(`drop index concurrently if exists ${drop[1]};`);
    else main.down.push(sql);
  }
  const trim = (list: string[]) => list.filter((sql, i) => sql !== '' || (i > 0 && list[i - 1] !== '' && i < list.length - 1));
  return { main: { up: trim(main.up), down: trim(main.down) }, concurrent };
}
