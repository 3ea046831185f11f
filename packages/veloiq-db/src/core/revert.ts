/**
 * Makes a generated `down()` run on tables that hold rows. Reverting a dropped `not null` column
 * adds it back, but its values are gone: `add column ... not null` with no default fails on the
 * first row. It comes back nullable instead, with a comment saying so, so the downgrade runs and
 * the next upgrade (which drops it again) does too.
 */
const ADD_COLUMN = /^(alter table \S+ )(add column .*)$/is;
const NOT_NULL_CLAUSE = /^add column ("(?:[^"]|"")+"|\S+) (.*?) not null$/is;

export function runnableReverts(down: string[]): string[] {
  return down.map((sql) => {
    const statement = ADD_COLUMN.exec(sql.replace(/;\s*$/, ''));
    if (!statement) return sql;
    const restored: string[] = [];
    const clauses = statement[2].split(/,\s*(?=add column )/i).map((clause) => {
      const column = NOT_NULL_CLAUSE.exec(clause.trim());
      if (!column || /\bdefault\b/i.test(column[2])) return clause;
      restored.push(column[1]);
      return `add column ${column[1]} ${column[2]} null`;
    });
    if (restored.length === 0) return sql;
    const note = `-- ${restored.join(', ')} come${restored.length === 1 ? 's' : ''} back nullable and empty: a revert cannot restore dropped data.`;
    return `${note}\n${statement[1]}${clauses.join(', ')};`;
  });
}
