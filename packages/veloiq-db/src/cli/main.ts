import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../core/errors';
import { parseArgs } from './args';
import { runFastPath } from './fast-path';
import { findProjectDir, findWorkspaceRoot, nxBin, resolveProject } from './workspace';

function runNx(nx: string, args: string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<number> {
  return new Promise((resolve) => {
    // In JSON mode Nx's own banner would surround the JSON on stdout; the executor writes the
    // JSON to a file instead, and only that reaches our stdout.
    const child = spawn(process.execPath, [nx, ...args], { stdio: ['inherit', quiet ? 'ignore' : 'inherit', 'inherit'], env });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** `veloiq db <sub> [args]` -> `nx run <project>:db-<sub> [args]`, from the user's directory. */
export async function main(argv: string[]): Promise<number> {
  try {
    const invocation = parseArgs(argv);
    if (typeof invocation === 'string') {
      const helpAsked = argv.includes('--help') || argv.includes('-h');
      (helpAsked ? console.log : console.error)(invocation);
      return helpAsked ? 0 : 2;
    }
    const cwd = process.cwd();
    const root = findWorkspaceRoot(cwd);
    const fast = await runFastPath(root, findProjectDir(cwd, root), invocation.project, invocation.target, invocation.args);
    if (fast !== undefined) return fast;
    const project = invocation.project ?? resolveProject(cwd, root, invocation.target);
    const nxArgs = ['run', `${project}:${invocation.target}`, ...invocation.args];
    if (!invocation.captureOutput) return await runNx(nxBin(root), nxArgs, process.env, false);
    const dir = mkdtempSync(join(tmpdir(), 'veloiq-'));
    const output = join(dir, 'result.json');
    try {
      const code = await runNx(nxBin(root), nxArgs, { ...process.env, VELOIQ_JSON_OUTPUT: output }, true);
      // A result that is a failure (status with drift) is printed too; an error writes no result.
      if (existsSync(output)) process.stdout.write(readFileSync(output, 'utf8'));
      return code;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } catch (error) {
    console.error(describeError(error));
    return 1;
  }
}
