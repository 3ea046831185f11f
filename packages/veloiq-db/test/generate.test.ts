// `veloiq generate`: the entity registry, TypeScript types and JSON Schemas, from the entity modules.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from '../src/commands/generate';
import { UserError } from '../src/core/errors';
import { copySample, SAMPLE, type TestProject } from './support';

const GENERATED = ['entities.ts', 'types.ts', 'schemas.ts'];

function readGenerated(project: TestProject): Record<string, string> {
  const dir = join(project.backend, 'src/generated');
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
  );
}

function options(project: TestProject) {
  return { projectRoot: project.root, cwd: project.root };
}

const CUSTOMERS = `import { defineEntity, p } from '@mikro-orm/core';

export const Customer = defineEntity({
  name: 'Customer',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().length(320).unique(),
    tier: p.enum(['free', 'pro']).nullable(),
    signedUpAt: p.datetime(),
  },
});
`;

describe('generate', () => {
  let project: TestProject;
  before(() => {
    project = copySample();
  });
  after(() => project.remove());

  test('writes the registry, types and JSON Schemas; a second run changes no byte', async () => {
    const first = await generate(options(project));
    assert.deepEqual(first.entities, ['Order', 'Product']);
    assert.deepEqual(first.modules, ['orders', 'products']);
    const files = readGenerated(project);
    assert.deepEqual(Object.keys(files), GENERATED.slice().sort());
    // The registry is exactly what the sample's MikroORM config imports.
    assert.equal(files['entities.ts'], readFileSync(join(SAMPLE, 'backend/src/generated/entities.ts'), 'utf8'));
    assert.match(files['types.ts'], /export interface Product \{\n(.*\n)*  name: string;\n/);
    assert.match(files['types.ts'], /export interface Order \{[^}]*product: number;/);
    assert.match(files['schemas.ts'], /export const ProductSchema = \{/);

    const second = await generate(options(project));
    assert.ok(
      second.files.every((f) => !f.changed),
      'nothing changed on the second run',
    );
    assert.deepEqual(readGenerated(project), files);
  });

  test('a new module appears in the registry, the types and the schemas', async () => {
    mkdirSync(join(project.backend, 'src/modules/customers'));
    writeFileSync(join(project.backend, 'src/modules/customers/models.ts'), CUSTOMERS);
    const result = await generate(options(project));
    assert.deepEqual(result.entities, ['Customer', 'Order', 'Product']);
    const files = readGenerated(project);
    assert.match(files['entities.ts'], /import \{ Customer \} from '\.\.\/modules\/customers\/models';/);
    assert.match(files['entities.ts'], /export const entities = \[Customer, Order, Product\];/);
    assert.match(files['types.ts'], /tier: "free" \| "pro" \| null;/);
    assert.match(files['types.ts'], /signedUpAt: string;/);
    const schemas = files['schemas.ts'];
    const customer = JSON.parse(/export const CustomerSchema = (\{[\s\S]*?\n\}) as const;/.exec(schemas)![1]);
    assert.deepEqual(customer.properties.email, { type: 'string', maxLength: 320 });
    assert.deepEqual(customer.properties.signedUpAt, { type: 'string', format: 'date-time' });
    assert.deepEqual(customer.required, ['id', 'email', 'tier', 'signedUpAt']);
  });

  test('an entity file with a TypeScript syntax error is named, and the generated files stay as they were', async () => {
    const before = readGenerated(project);
    const file = join(project.backend, 'src/modules/customers/models.ts');
    writeFileSync(file, CUSTOMERS.replace('p.string().length(320)', 'p.string().length(320'));
    await assert.rejects(generate(options(project)), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /backend\/src\/modules\/customers\/models\.ts:\d+:\d+/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.deepEqual(readGenerated(project), before);
  });

  test('a type error (which the loader alone would not see) is named with its line and column', async () => {
    const before = readGenerated(project);
    const file = join(project.backend, 'src/modules/customers/models.ts');
    writeFileSync(file, CUSTOMERS.replace('p.string().length(320)', "p.string().length('320')"));
    try {
      await assert.rejects(
        generate(options(project)),
        /^UserError: TypeScript error in backend\/src\/modules\/customers\/models\.ts:7:30: Argument of type 'string' is not assignable to parameter of type 'number'\. Fix the entity file and run again\.$/,
      );
      writeFileSync(file, CUSTOMERS.replace('p.string().length(320)', 'p.strin().length(320)'));
      await assert.rejects(
        generate(options(project)),
        /TypeScript error in backend\/src\/modules\/customers\/models\.ts:7:14: Property 'strin' does not exist/,
      );
      assert.deepEqual(readGenerated(project), before);
    } finally {
      writeFileSync(file, CUSTOMERS);
    }
  });

  test('the type check is incremental: a type error is named again on the next run with nothing changed, and its state stays out of git', async () => {
    const file = join(project.backend, 'src/modules/customers/models.ts');
    writeFileSync(file, CUSTOMERS.replace('p.string().length(320)', "p.string().length('320')"));
    try {
      for (let run = 0; run < 2; run++) {
        await assert.rejects(generate(options(project)), /TypeScript error in backend\/src\/modules\/customers\/models\.ts:7:30: Argument of type 'string'/);
      }
    } finally {
      writeFileSync(file, CUSTOMERS);
    }
    await generate(options(project));
    const state = join(project.backend, '.veloiq');
    assert.ok(
      readdirSync(state).some((name) => name.endsWith('.tsbuildinfo')),
      'the build info is kept in .veloiq/',
    );
    assert.match(readFileSync(join(state, '.gitignore'), 'utf8'), /^\*$/m, '.veloiq/ ignores everything in it');
  });

  test('a check that passed is skipped only while nothing it read changed: a type error from an imported file is still named', async () => {
    const file = join(project.backend, 'src/modules/customers/models.ts');
    const lengths = join(project.backend, 'src/modules/customers/lengths.ts');
    writeFileSync(lengths, 'export const EMAIL_LENGTH = 320;\n');
    writeFileSync(file, `import { EMAIL_LENGTH } from './lengths';\n${CUSTOMERS.replace('p.string().length(320)', 'p.string().length(EMAIL_LENGTH)')}`);
    try {
      await generate(options(project));
      assert.ok(existsSync(join(project.backend, '.veloiq/entities.passed.json')), 'the passed check is remembered');
      await generate(options(project));
      writeFileSync(lengths, "export const EMAIL_LENGTH = '320';\n");
      await assert.rejects(generate(options(project)), /TypeScript error in backend\/src\/modules\/customers\/models\.ts:\d+:\d+: Argument of type 'string'/);
    } finally {
      writeFileSync(file, CUSTOMERS);
      rmSync(lengths, { force: true });
    }
  });
});
