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
import { loadConfig } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { createTestDatabase, WORKSPACE, type TestDatabase } from './support';

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
