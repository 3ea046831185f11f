// An Alembic project equivalent to a scratch project: the same revisions (same ids, same SQL) as
// Alembic scripts, for `alembic current` / `alembic history` side by side with `veloiq db`. Real
// Alembic of the system Python; its PostgreSQL driver is Debian's python3-psycopg2.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { revisionId, revisionSql, tableName } from './scratch';

export const PYTHON = process.env.VELOIQ_BENCH_PYTHON ?? '/usr/bin/python3.11';

export interface AlembicProject {
  dir: string;
  /** `python -m alembic -c <ini>`, to which a command (current, history) is appended. */
  args: string[];
  remove(): void;
}

/** Whether Alembic and psycopg2 import; the reason when not. */
export function alembicMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import alembic, psycopg2'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} cannot import alembic and psycopg2 (Debian: apt-get install python3-alembic python3-psycopg2)`;
  }
}

/**
 * Alembic's env.py: online on the ini's URL, or offline (`--sql`) writing the script. `-x
 * per_migration=1` commits after each revision (Alembic's transaction_per_migration).
 */
export const ENV_PY = `from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
    per_migration = "per_migration" in context.get_x_argument(as_dictionary=True)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None, transaction_per_migration=per_migration)
        with context.begin_transaction():
            context.run_migrations()
`;

/** alembic.ini naming the script folder and the database. */
export function alembicIni(dir: string, url: string): string {
  return `[alembic]\nscript_location = ${join(dir, 'alembic')}\nsqlalchemy.url = ${url.replace(/%/g, '%%')}\n`;
}

function script(i: number): string {
  const down = i === 1 ? 'None' : `'${revisionId(i - 1)}'`;
  const up = revisionSql(i)
    .map((sql) => `    op.execute(${JSON.stringify(sql)})`)
    .join('\n');
  return `"""create ${tableName(i)} table

Revision ID: ${revisionId(i)}
Revises: ${i === 1 ? '' : revisionId(i - 1)}
"""
from alembic import op

revision = '${revisionId(i)}'
down_revision = ${down}
branch_labels = None
depends_on = None


def upgrade():
${up}


def downgrade():
    op.execute('drop table if exists "${tableName(i)}" cascade')
`;
}

/** Writes the project for `revisions` revisions against the database at `url` (postgresql://...). */
export function createAlembicProject(revisions: number, url: string): AlembicProject {
  const dir = mkdtempSync(join(tmpdir(), 'veloiq-bench-alembic-'));
  const versions = join(dir, 'alembic/versions');
  mkdirSync(versions, { recursive: true });
  writeFileSync(join(dir, 'alembic/env.py'), ENV_PY);
  writeFileSync(join(dir, 'alembic.ini'), alembicIni(dir, url));
  for (let i = 1; i <= revisions; i++) writeFileSync(join(versions, `${revisionId(i)}_create_${tableName(i)}_table.py`), script(i));
  return { dir, args: ['-m', 'alembic', '-c', join(dir, 'alembic.ini')], remove: () => rmSync(dir, { recursive: true, force: true }) };
}
