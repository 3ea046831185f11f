// The Alembic half of the differential run: an Alembic project whose revisions mirror a graph
// (same ids, parents and labels, each creating the table named for it), and one long-lived
// Python process that runs alembic.command functions on it, so a step costs milliseconds
// instead of a Python start. Real Alembic of the system Python (Debian's python3-alembic).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ENV_PY, PYTHON, alembicIni } from '../bench/alembic';
import type { FuzzRevision } from './graph-spec';

/**
 * Reads one JSON request a line ({command, kwargs}), calls alembic.command.<command>(config,
 * **kwargs) with stdout captured, answers one JSON line. A CommandError is Alembic's refusal;
 * any other exception is reported with its type (Alembic crashed).
 */
const DRIVER_PY = `import contextlib, io, json, sys
sys.dont_write_bytecode = True
from alembic import command
from alembic.config import Config
from alembic.util import CommandError

ini = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    out = io.StringIO()
    config = Config(ini, stdout=out, output_buffer=out)
    answer = {"ok": True}
    try:
        # Alembic's own messages (merge's "Generating ...") go to sys.stdout: keep them off the answers.
        with contextlib.redirect_stdout(out):
            getattr(command, request["command"])(config, **request["kwargs"])
    except CommandError as e:
        answer = {"ok": False, "kind": "refused", "error": str(e)}
    except Exception as e:
        answer = {"ok": False, "kind": "crash", "error": type(e).__name__ + ": " + str(e)}
    answer["out"] = out.getvalue()
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
`;

/** Enough of Alembic's script template for \`alembic merge\`: the ids and an empty body. */
const SCRIPT_MAKO = `"""\${message}

Revision ID: \${up_revision}
Revises: \${down_revision | comma,n}
"""
revision = \${repr(up_revision)}
down_revision = \${repr(down_revision)}
branch_labels = \${repr(branch_labels)}
depends_on = \${repr(depends_on)}


def upgrade():
    pass


def downgrade():
    pass
`;

export interface AlembicAnswer {
  ok: boolean;
  /** refused: a CommandError; crash: any other exception. */
  kind?: 'refused' | 'crash';
  error?: string;
  out: string;
}

export interface AlembicSide {
  versions: string;
  /** Replaces the revision files with these. */
  write(revisions: readonly FuzzRevision[]): void;
  run(command: string, kwargs: Record<string, unknown>): Promise<AlembicAnswer>;
  close(): void;
}

const pyList = (ids: readonly string[]) => (ids.length === 0 ? 'None' : ids.length === 1 ? `'${ids[0]}'` : `(${ids.map((id) => `'${id}'`).join(', ')})`);

function script(r: FuzzRevision): string {
  return `"""${r.message}

Revision ID: ${r.id}
Revises: ${r.parents.join(', ')}
"""
from alembic import op

revision = '${r.id}'
down_revision = ${pyList(r.parents)}
branch_labels = ${r.labels.length ? `(${r.labels.map((l) => `'${l}',`).join(' ')})` : 'None'}
depends_on = None


def upgrade():
${r.table ? `    op.execute('create table "${r.table}" (id int)')` : '    pass'}


def downgrade():
${r.table ? `    op.execute('drop table "${r.table}"')` : '    pass'}
`;
}

export function startAlembic(url: string): AlembicSide {
  const dir = mkdtempSync(join(tmpdir(), 'veloiq-fuzz-alembic-'));
  const versions = join(dir, 'alembic/versions');
  mkdirSync(versions, { recursive: true });
  writeFileSync(join(dir, 'alembic/env.py'), ENV_PY);
  writeFileSync(join(dir, 'alembic/script.py.mako'), SCRIPT_MAKO);
  writeFileSync(join(dir, 'alembic.ini'), alembicIni(dir, url));
  writeFileSync(join(dir, 'driver.py'), DRIVER_PY);
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [join(dir, 'driver.py'), join(dir, 'alembic.ini')], { stdio: 'pipe' });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return {
    versions,
    write(revisions) {
      for (const file of readdirSync(versions)) rmSync(join(versions, file), { recursive: true, force: true });
      for (const r of revisions) writeFileSync(join(versions, `${r.id}_${r.slug}.py`), script(r));
    },
    run(command, kwargs) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`the Alembic driver exited: ${stderr}`));
        waiting.push((line) => resolve(JSON.parse(line) as AlembicAnswer));
        child.stdin.write(JSON.stringify({ command, kwargs }) + '\n');
      });
    },
    close() {
      child.stdin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
