// An existing MikroORM app brought to veloiq as it is, the way NestJS and Express apps are laid
// out: its config in src/mikro-orm.config.ts, entities found by `entitiesTs` globs, decorator
// entities that import each other (a two-way relation), and a history that MikroORM's own
// migrator wrote (src/migrations/Migration<timestamp>.ts, recorded in mikro_orm_migrations).
// No backend/ folder, no models.ts: every command works on the app as it is.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MikroORM } from '@mikro-orm/postgresql';
import { check } from '../src/commands/check';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { generate } from '../src/commands/generate';
import { history } from '../src/commands/history';
import { migrate } from '../src/commands/migrate';
import { status } from '../src/commands/status';
import { upgrade } from '../src/commands/upgrade';
import { loadEntityModules } from '../src/core/entities';
import { loadConfig } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { createTestDatabase, missingSystemPg, WORKSPACE, type TestDatabase } from './support';

const CONFIG = `import 'reflect-metadata';
import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';

export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: ['dist/**/*.entity.js'],
  entitiesTs: ['src/**/*.entity.ts'],
  extensions: [Migrator],
});
`;

// Author and Book import each other; Book's design:type metadata reads Author while
// author.entity.ts is still loading (it asked for book.entity.ts first), as in every app with
// two-way relations: tsc's CommonJS reads undefined there, a live export binding throws.
const AUTHOR = `import { Collection, Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/core';
import { Book } from '../book/book.entity';

@Entity()
export class Author {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @OneToMany(() => Book, (book) => book.author)
  books = new Collection<Book>(this);
}
`;

const BOOK = (extra = '') => `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Author } from '../author/author.entity';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  @ManyToOne(() => Author)
  author!: Author;
${extra}}
`;

function write(root: string, file: string, content: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

describe('an existing MikroORM app (src/mikro-orm.config.ts, entitiesTs globs, MikroORM-made history)', () => {
  let root: string;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string };
  let theirs: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'veloiq-existing-'));
    chmodSync(root, 0o755);
    symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
    write(root, 'package.json', JSON.stringify({ name: 'shelf', private: true }));
    write(
      root,
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', experimentalDecorators: true, emitDecoratorMetadata: true, strict: true } }),
    );
    write(root, 'src/mikro-orm.config.ts', CONFIG);
    write(root, 'src/author/author.entity.ts', AUTHOR);
    write(root, 'src/book/book.entity.ts', BOOK());
    db = await createTestDatabase('vq_apps');
    process.env.DATABASE_URL = db.url;
    o = { projectRoot: root, cwd: root };

    // The app's history so far, written and applied by MikroORM's own migrator.
    // (its CLI runs in the app's folder: that is the baseDir)
    const orm = await MikroORM.init({ ...(await loadConfig(findProject(root))), baseDir: root, debug: false });
    try {
      const created = await orm.getMigrator().createInitialMigration();
      theirs = created.fileName.replace(/\.ts$/, '');
      await orm.getMigrator().up();
    } finally {
      await orm.close(true);
    }
  });

  after(async () => {
    delete process.env.DATABASE_URL;
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test("MikroORM's revision, in src/migrations, is the current head; check finds the entities all migrated", async () => {
    assert.deepEqual(
      readdirSync(join(root, 'src/migrations')).filter((file) => file.endsWith('.ts')),
      [`${theirs}.ts`],
    );
    assert.deepEqual(await db.applied(), [theirs]);
    const now = await current(o);
    assert.equal(now.id, theirs.replace(/^Migration/, ''));
    assert.equal(now.description, theirs);
    assert.equal(now.head, true);
    const checked = await check(o);
    assert.deepEqual(checked.changes, []);
  });

  test('generate writes nothing into the app; migrate, upgrade, history, downgrade and status follow its history', async () => {
    const generated = await generate(o);
    assert.deepEqual(generated.files, []);
    assert.match(generated.skipped ?? '', /^Nothing to generate/);
    assert.equal(existsSync(join(root, 'src/generated')), false);

    write(root, 'src/book/book.entity.ts', BOOK('\n  @Property({ nullable: true })\n  isbn?: string;\n'));
    const migrated = await migrate({ ...o, message: 'add isbn to book' });
    assert.ok(migrated.revision, 'a revision was written');
    assert.match(migrated.revision.path, /^src\/migrations\/[0-9a-z]{8}_add_isbn_to_book\.ts$/);

    await upgrade(o);
    assert.deepEqual(
      (await db.query<{ c: string }>(`select column_name as c from information_schema.columns where table_name = 'book' order by 1`)).map((r) => r.c),
      ['author_id', 'id', 'isbn', 'title'],
    );
    const listed = await history(o);
    assert.deepEqual(
      listed.revisions.map((r) => r.description),
      [theirs, 'add isbn to book'],
    );

    await downgrade({ ...o, revision: '-1' });
    assert.deepEqual(await db.applied(), [theirs]);
    const pending = await status(o);
    assert.deepEqual(
      pending.pending.map((r) => r.description),
      ['add isbn to book'],
    );
  });
});

describe('an ESM app ("type": "module") whose config awaits at the top level', () => {
  test('its config loads (as an ES module), with what it awaited', async () => {
    const root = mkdtempSync(join(tmpdir(), 'veloiq-esm-'));
    try {
      symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
      write(root, 'package.json', JSON.stringify({ name: 'guide', type: 'module' }));
      write(
        root,
        'src/mikro-orm.config.ts',
        `import { defineConfig } from '@mikro-orm/postgresql';\n` +
          `const { ReflectMetadataProvider } = await import('@mikro-orm/core');\n` +
          `export default defineConfig({ dbName: 'guide', metadataProvider: ReflectMetadataProvider });\n`,
      );
      const config = await loadConfig(findProject(root));
      assert.equal(config.dbName, 'guide');
      assert.equal((config.metadataProvider as { name?: string })?.name, 'ReflectMetadataProvider');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// A NestJS/Koa-style app: the config imports its decorator classes and names only `dbName`, so
// MikroORM (the app, its CLI) connects to its default server, postgres@127.0.0.1:5432.
describe('an app whose config lists its decorator classes and names only dbName', () => {
  let root: string;
  let name: string;
  let o: { projectRoot: string; cwd: string; notify: (line: string) => void };
  const said: string[] = [];
  const admin = (sql: string) =>
    createTestDatabase('vq_apps_admin').then(async (scratch) => {
      try {
        return await scratch.query<{ n: string }>(sql);
      } finally {
        await scratch.drop();
      }
    });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'veloiq-dbname-'));
    symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
    write(root, 'package.json', JSON.stringify({ name: 'nest-like', private: true }));
    write(
      root,
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', experimentalDecorators: true, emitDecoratorMetadata: true } }),
    );
    write(root, 'src/author/author.entity.ts', AUTHOR);
    write(root, 'src/book/book.entity.ts', BOOK());
    // A name no database has yet: the first command that changes the database creates it.
    name = `vq_apps_dbname_${process.pid}_${Date.now().toString(36)}`;
    write(
      root,
      'src/mikro-orm.config.ts',
      `import 'reflect-metadata';\nimport { defineConfig } from '@mikro-orm/postgresql';\n` +
        `import { Author } from './author/author.entity';\nimport { Book } from './book/book.entity';\n\n` +
        `export default defineConfig({ dbName: '${name}', entities: [Author, Book] });\n`,
    );
    o = { projectRoot: root, cwd: root, notify: (line) => said.push(line) };
  });

  after(async () => {
    await admin(`drop database if exists "${name}" with (force)`);
    rmSync(root, { recursive: true, force: true });
  });

  test('loading the modules of an app without models.ts keeps the decorator metadata of the classes its config imported', async () => {
    // As check and migrate do: the config first (its classes decorated), then the modules.
    const project = findProject(root);
    const config = await loadConfig(project);
    assert.deepEqual(
      loadEntityModules(project, (path) => path),
      [],
    );
    const orm = await MikroORM.init({ ...config, connect: false, debug: false });
    try {
      assert.deepEqual(Object.keys(orm.getMetadata().getAll()).sort(), ['Author', 'Book']);
    } finally {
      await orm.close(true);
    }
  });

  test('the commands use that server (never the embedded one), migrate creates the database and says so, check sees the classes', async (t) => {
    const skip = await missingSystemPg();
    if (skip) return t.skip(skip);
    await assert.rejects(
      current(o),
      /^ConnectionFailedError: Database 127\.0\.0\.1:5432\/vq_apps_dbname_\S+ does not exist\. .*check the connection in \S*src\/mikro-orm\.config\.ts/,
    );
    const migrated = await migrate({ ...o, message: 'initial' });
    assert.match(migrated.revision?.path ?? '', /^src\/migrations\/[0-9a-z]{8}_initial\.ts$/);
    assert.deepEqual(
      said.filter((line) => line.startsWith('Created database')),
      [`Created database 127.0.0.1:5432/${name}: it did not exist (set ensureDatabase: false in the MikroORM config to be refused instead).`],
    );
    await upgrade(o);
    const tables = await admin(`select count(*)::text as n from pg_database where datname = '${name}'`);
    assert.deepEqual(tables, [{ n: '1' }]);
    assert.equal((await current(o)).head, true);
    // The config (and its classes) loaded earlier in this process: check still sees their
    // decorator metadata, and finds every entity change in the revision.
    assert.deepEqual((await check(o)).changes, []);
    assert.equal(existsSync(join(root, '.veloiq', 'postgres')), false, 'no embedded server was started');
  });
});

// An Express-style app in plain JavaScript: the config names nothing, its .env gives
// MikroORM the server, the entity folder and debug (MIKRO_ORM_*), and its entities are
// EntitySchemas found in that folder.
describe('an app configured by MIKRO_ORM_* variables (server, entity folder, debug)', () => {
  let root: string;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'veloiq-envconfig-'));
    symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
    db = await createTestDatabase('vq_apps');
    write(root, 'package.json', JSON.stringify({ name: 'express-like', 'mikro-orm': { configPaths: ['./app/mikro-orm.config.js'] } }));
    write(root, '.env', `MIKRO_ORM_CLIENT_URL=${db.url}\nMIKRO_ORM_ENTITIES=./app/entities/*.js\nMIKRO_ORM_DEBUG=true\n`);
    write(root, 'app/mikro-orm.config.js', `const { defineConfig } = require('@mikro-orm/postgresql');\n\nmodule.exports = defineConfig({});\n`);
    write(
      root,
      'app/entities/BaseEntity.js',
      `const { EntitySchema } = require('@mikro-orm/core');\n\n` +
        `exports.schema = new EntitySchema({ name: 'BaseEntity', properties: { id: { primary: true, type: 'number' } } });\n`,
    );
    write(
      root,
      'app/entities/Tag.js',
      `const { EntitySchema } = require('@mikro-orm/core');\n\nclass Tag {}\n\n` +
        `exports.schema = new EntitySchema({ class: Tag, properties: { id: { primary: true, type: 'number' }, name: { type: 'string' } } });\n`,
    );
    o = { projectRoot: root, cwd: root };
  });

  after(async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('MIKRO_ORM_')) delete process.env[key];
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('migrate, upgrade and check use the server and entities the variables name, and print no query log', async () => {
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.join(' '));
    try {
      const migrated = await migrate({ ...o, message: 'initial' });
      assert.match(migrated.revision?.path ?? '', /^migrations\/[0-9a-z]{8}_initial\.ts$/);
      await upgrade(o);
      assert.deepEqual(await db.tables(), ['base_entity', 'mikro_orm_migrations', 'tag']);
      // Its replay runs a second ORM in this process: the entities are not discovered twice.
      assert.deepEqual((await check(o)).changes, []);
    } finally {
      console.log = log;
    }
    assert.deepEqual(
      logged.filter((line) => /\[(query|discovery|info)\]/.test(line)),
      [],
      'MIKRO_ORM_DEBUG does not turn on the query log of our commands',
    );
  });
});
