// `generate` for many projects at once: the entity files checked together (checkEntitiesTogether)
// and Nx's batch executor (`nx run-many -t generate --batch`), which gives every task its own
// result and output. Real Nx on a copy of the workspace; entity checks on sample copies.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkEntitiesTogether, generate } from '../src/commands/generate';
import { copySample, copyWorkspace, nx, type TestProject } from './support';

const stamped = (project: TestProject) => existsSync(join(project.backend, '.veloiq/entities.passed.json'));
const PRODUCTS = (project: TestProject) => join(project.backend, 'src/modules/products/models.ts');

/** The error `generate` names for a project checked on its own, from its root. */
async function errorAlone(project: TestProject): Promise<string> {
  const error = await generate({ projectRoot: project.root, cwd: project.root }).then(
    () => assert.fail('generate passed'),
    (e: Error) => e.message,
  );
  return error;
}

describe('entity files of many projects checked together', () => {
  const projects: TestProject[] = [];
  const copy = () => {
    const project = copySample();
    projects.push(project);
    return project;
  };
  after(() => projects.forEach((project) => project.remove()));

  test('a project is stamped only when its own check would pass; the others name their error as alone', async () => {
    const [clean, broken, importer] = [copy(), copy(), copy()];
    // The error sits in a file of `broken` that `importer` imports too (from another project).
    const lengths = join(broken.backend, 'src/modules/products/lengths.ts');
    writeFileSync(lengths, "export const EMAIL_LENGTH: number = '320';\n");
    for (const project of [broken, importer]) {
      const path = relative(join(project.backend, 'src/modules/products'), lengths).replace(/\.ts$/, '');
      const from = path.startsWith('.') ? path : `./${path}`;
      writeFileSync(
        PRODUCTS(project),
        `import { EMAIL_LENGTH } from '${from}';\nexport const length = EMAIL_LENGTH;\n${readFileSync(PRODUCTS(project), 'utf8')}`,
      );
    }
    checkEntitiesTogether([clean.root, broken.root, importer.root]);
    assert.deepEqual([clean, broken, importer].map(stamped), [true, false, false]);
    for (const project of [broken, importer]) {
      assert.match(
        await errorAlone(project),
        /^TypeScript error in .*products\/lengths\.ts:1:14: Type 'string' is not assignable to type 'number'\. Fix the entity file and run again\.$/,
      );
    }
    await generate({ projectRoot: clean.root, cwd: clean.root });
  });

  test('a project that declares globals is checked with the others, but they are left to their own checks', () => {
    const [plain, declaring] = [copy(), copy()];
    writeFileSync(PRODUCTS(declaring), `${readFileSync(PRODUCTS(declaring), 'utf8')}\ndeclare global {\n  interface VeloiqTestGlobal {\n    x: 1;\n  }\n}\n`);
    checkEntitiesTogether([plain.root, declaring.root]);
    assert.deepEqual([plain, declaring].map(stamped), [false, true]);
  });
});

describe('nx run-many -t generate --batch', () => {
  let workspace: { root: string; remove(): void };
  before(() => {
    workspace = copyWorkspace('veloiq-batch-');
    // A second billing with a type error, beside the apps whose generated files are up to date.
    const broken = join(workspace.root, 'apps/billing-broken');
    cpSync(join(workspace.root, 'apps/billing'), broken, { recursive: true });
    const project = JSON.parse(readFileSync(join(broken, 'project.json'), 'utf8'));
    writeFileSync(join(broken, 'project.json'), JSON.stringify({ ...project, name: 'billing-broken', root: 'apps/billing-broken' }));
    const invoices = join(broken, 'backend/src/modules/invoices/models.ts');
    writeFileSync(invoices, readFileSync(invoices, 'utf8').replace('p.string().length(32)', "p.string().length('32')"));
  });
  after(() => workspace?.remove());

  test('one process for every task; each task has its own result and output, and a failure names its error as a run alone does', async () => {
    const env = { NX_CACHE_DIRECTORY: join(workspace.root, '.nx', 'test-cache'), NX_TUI: 'false' };
    const alone = await nx(['run', 'billing-broken:generate', '--skip-nx-cache'], { cwd: workspace.root, env, timeoutMs: 300_000 });
    assert.notEqual(alone.code, 0);
    const error = /^TypeScript error in .*$/m.exec(alone.stdout + alone.stderr)?.[0];
    assert.match(error ?? '', /apps\/billing-broken\/backend\/src\/modules\/invoices\/models\.ts:9:31: Argument of type 'string'/);

    const generated = (app: string) => readFileSync(join(workspace.root, 'apps', app, 'backend/src/generated/entities.ts'), 'utf8');
    const before = ['sample', 'billing', 'fixture-decorators'].map(generated);
    const batch = await nx(['run-many', '-t', 'generate', '--batch', '--skip-nx-cache', '--output-style=static'], {
      cwd: workspace.root,
      env,
      timeoutMs: 300_000,
    });
    const output = batch.stdout + batch.stderr;
    assert.notEqual(batch.code, 0, output);
    assert.match(output, /Running 4 tasks with @veloiq\/db:generate/, 'the four tasks ran in one batch');
    assert.match(output, /Failed tasks:\s+- billing-broken:generate\s*\n\s*\n/, 'only the broken project failed');
    // Its output is its own, with the error line as the run alone printed it.
    const brokenOutput = output.slice(output.indexOf('> nx run billing-broken:generate'));
    assert.equal(/^TypeScript error in .*$/m.exec(brokenOutput)?.[0], error);
    for (const app of ['sample', 'billing', 'fixture-decorators']) {
      assert.match(output, new RegExp(`> nx run ${app}:generate\\s+Generated files are up to date`), `${app} reports its own result`);
    }
    assert.deepEqual(['sample', 'billing', 'fixture-decorators'].map(generated), before);
  });
});
