// Decorator entities (apps/fixture-decorators): our revisions build the schema MikroORM's own
// createSchema() builds from the same entities, on real PostgreSQL; and a project whose
// tsconfig cannot compile its decorators gets a one-line error, never "0 entities".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MikroORM } from '@mikro-orm/postgresql';
import { check } from '../src/commands/check';
import { downgrade } from '../src/commands/downgrade';
import { generate } from '../src/commands/generate';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { UserError } from '../src/core/errors';
import { loadConfig } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { toText } from '../src/commands/report';
import { withEnvironment } from '../src/commands/session';
import { copySample, createTestDatabase, FIXTURE_DECORATORS, WORKSPACE, type TestDatabase, type TestProject } from './support';

/** A copy of the fixture whose tsconfig still extends the workspace's base config. */
function copyFixture(): TestProject {
  const project = copySample(FIXTURE_DECORATORS);
  const tsconfig = join(project.root, 'tsconfig.json');
  const json = JSON.parse(readFileSync(tsconfig, 'utf8'));
  writeFileSync(tsconfig, JSON.stringify({ ...json, extends: join(WORKSPACE, 'tsconfig.base.json') }, null, 2));
  return project;
}

/** The schema as pg_dump prints it, without the record table and pg_dump's own comments. */
function schemaOf(db: TestDatabase): string {
  const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--exclude-table=mikro_orm_migrations*', db.url], {
    encoding: 'utf8',
  });
  return dump
    .split('\n')
    .filter(
      (line) => line && !line.startsWith('--') && !line.startsWith('SET ') && !/^\\(un)?restrict /.test(line) && !/^SELECT pg_catalog\.set_config/.test(line),
    )
    .join('\n');
}

async function rejectsWith(work: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${(error as Error)?.stack}`);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }
  assert.fail('expected the command to fail');
}

describe('decorator fixture: revisions against MikroORM createSchema()', () => {
  let project: TestProject;
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };

  before(async () => {
    project = copyFixture();
    for (const file of readdirSync(project.migrations)) rmSync(join(project.migrations, file));
    ours = await createTestDatabase('vq_deco');
    theirs = await createTestDatabase('vq_deco_orm');
    o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: ours.url } };
  });
  after(async () => {
    await ours.drop();
    await theirs.drop();
    project.remove();
  });

  test('generate -> migrate -> upgrade builds what createSchema() builds; downgrade base empties it; check passes', async () => {
    const generated = await generate(o);
    assert.deepEqual(generated.entities, ['Address', 'Author', 'AuthorStats', 'Book', 'Tag']);
    assert.deepEqual(generated.modules, ['authors', 'books', 'stats', 'tags']);

    const migrated = await migrate({ ...o, message: 'create the schema' });
    assert.ok(migrated.revision, 'a revision was written');
    await upgrade(o);

    const config = await withEnvironment({ DATABASE_URL: theirs.url }, () => loadConfig(findProject(project.root)));
    const orm = await MikroORM.init({ ...config, clientUrl: theirs.url, dbName: undefined, debug: false });
    try {
      await orm.schema.createSchema();
    } finally {
      await orm.close(true);
    }

    const expected = schemaOf(theirs);
    assert.match(expected, /CREATE TYPE public\.author_role AS ENUM/);
    assert.match(expected, /CREATE TABLE public\.book_tag/);
    assert.match(expected, /CREATE TABLE public\.author_follows/);
    assert.equal(schemaOf(ours), expected);

    const checked = await check(o);
    assert.equal(checked.ok, true);
    assert.match(toText(checked), /^No differences: the 1 revision in backend\/migrations holds every entity change\.$/);
    const second = await migrate({ ...o, message: 'nothing' });
    assert.equal(second.revision, null);

    await downgrade({ ...o, revision: 'base' });
    assert.deepEqual(await ours.tables(), ['mikro_orm_migrations']);
    assert.deepEqual(
      await ours.query(`select typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public' and t.typtype = 'e'`),
      [],
    );
  });

  test('a config that leaves out an entity of the modules: migrate and check refuse, never "no changes"', async () => {
    const config = join(project.backend, 'mikro-orm.config.ts');
    const saved = readFileSync(config, 'utf8');
    writeFileSync(config, saved.replace('  entities,', "  entities: entities.filter((entity) => entity.name !== 'AuthorStats'),"));
    try {
      await rejectsWith(
        migrate({ ...o, message: 'x' }),
        /mikro-orm\.config\.ts does not register AuthorStats, defined in src\/modules: set its entities from '\.\/src\/generated\/entities'/,
      );
      await rejectsWith(check(o), /does not register AuthorStats/);
    } finally {
      writeFileSync(config, saved);
    }
  });
});

describe('decorator entities that cannot load', () => {
  let project: TestProject;
  let o: { projectRoot: string; cwd: string };
  const tsconfig = () => join(project.root, 'tsconfig.json');
  const tags = () => join(project.backend, 'src/modules/tags/models.ts');

  before(() => {
    project = copyFixture();
    o = { projectRoot: project.root, cwd: project.root };
  });
  after(() => project.remove());

  test('a tsconfig without experimentalDecorators: one line naming the file, the tsconfig and the fix', async () => {
    const saved = readFileSync(tsconfig(), 'utf8');
    const json = JSON.parse(saved);
    delete json.compilerOptions.experimentalDecorators;
    delete json.compilerOptions.emitDecoratorMetadata;
    writeFileSync(tsconfig(), JSON.stringify(json));
    try {
      await rejectsWith(generate(o), /models\.ts uses decorators, but \S*tsconfig\.json does not enable them: .*"experimentalDecorators": true/);
    } finally {
      writeFileSync(tsconfig(), saved);
    }
  });

  test('no tsconfig at all: the same error, naming what is missing', async () => {
    const saved = readFileSync(tsconfig(), 'utf8');
    rmSync(tsconfig());
    try {
      await rejectsWith(generate(o), /models\.ts uses decorators, but no tsconfig\.json is above it/);
    } finally {
      writeFileSync(tsconfig(), saved);
    }
  });

  test('an entity file that throws: the line and column as written', async () => {
    const saved = readFileSync(tags(), 'utf8');
    const lines = saved.split('\n');
    const at = lines.findIndex((line) => line.startsWith('@Entity()'));
    lines.splice(at, 0, 'const broken: any = undefined;', 'broken.value.length;');
    writeFileSync(tags(), lines.join('\n'));
    try {
      await rejectsWith(
        generate(o),
        new RegExp(`Cannot load entities from backend/src/modules/tags/models\\.ts:${at + 2}:\\d+: Cannot read properties of undefined`),
      );
    } finally {
      writeFileSync(tags(), saved);
    }
  });

  test('a models.ts whose classes carry no entity decorator is an error, not "0 entities"', async () => {
    const saved = readFileSync(tags(), 'utf8');
    writeFileSync(tags(), 'export class Tag {\n  name!: string;\n}\n');
    try {
      await rejectsWith(generate(o), /tags\/models\.ts defines no entity: its classes \(Tag\) carry no @Entity\(\) or @Embeddable\(\) decorator/);
    } finally {
      writeFileSync(tags(), saved);
    }
  });
});

describe('decorator entities read by TsMorphMetadataProvider (@mikro-orm/reflection)', () => {
  let project: TestProject;
  let db: TestDatabase;

  before(async () => {
    project = copyFixture();
    for (const file of readdirSync(project.migrations)) rmSync(join(project.migrations, file));
    // No emitDecoratorMetadata: the provider reads the types from the source files.
    const tsconfig = join(project.root, 'tsconfig.json');
    const json = JSON.parse(readFileSync(tsconfig, 'utf8'));
    delete json.compilerOptions.emitDecoratorMetadata;
    writeFileSync(tsconfig, JSON.stringify(json));
    const config = join(project.backend, 'mikro-orm.config.ts');
    writeFileSync(
      config,
      readFileSync(config, 'utf8')
        .replace("import 'reflect-metadata';\n", "import { TsMorphMetadataProvider } from '@mikro-orm/reflection';\n")
        .replace('  entities,\n', '  entities,\n  metadataProvider: TsMorphMetadataProvider,\n  metadataCache: { enabled: false },\n'),
    );
    db = await createTestDatabase('vq_deco_tsm');
  });
  after(async () => {
    await db.drop();
    project.remove();
  });

  test('generate and migrate write the revision the reflect-metadata fixture holds', async () => {
    const o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } };
    assert.deepEqual((await generate(o)).entities, ['Address', 'Author', 'AuthorStats', 'Book', 'Tag']);
    const { revision } = await migrate({ ...o, message: 'create the schema' });
    assert.ok(revision);
    const upOf = (path: string) => readFileSync(path, 'utf8').slice(readFileSync(path, 'utf8').indexOf('override async up'));
    const [committed] = readdirSync(join(FIXTURE_DECORATORS, 'backend/migrations'));
    assert.equal(upOf(join(project.root, revision.path)), upOf(join(FIXTURE_DECORATORS, 'backend/migrations', committed)));
  });
});
