// A decimal column with precision and scale (`type: 'decimal', precision: 10, scale: 2`, or
// `columnType: 'numeric(10,2)'`), as the beer-tap-dispenser and express example apps declare
// prices: once the revision is applied, the database's numeric(10,2) is that same column, so
// `migrate` writes nothing and `check` sees no drift (MikroORM's comparator reported a type change
// to the same PostgreSQL type, and every migrate wrote an `alter column ... type numeric(10,2)`).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { check } from '../src/commands/check';
import { migrate } from '../src/commands/migrate';
import { toText } from '../src/commands/report';
import { upgrade } from '../src/commands/upgrade';
import { createTestDatabase, scratchApp, writeInto, type TestDatabase } from './support';

// Each way a newcomer's app spells these columns: the beer-tap dispenser's `type: DecimalType,
// precision: 32, columnType: 'decimal'` (the DDL says decimal; PostgreSQL stores an unconstrained
// numeric), precision and scale as options or in the column type, and `character varying(50)`.
const ENTITY = `import { DecimalType, EntitySchema } from '@mikro-orm/core';

export const Product = new EntitySchema({
  name: 'Product',
  properties: {
    id: { type: 'number', primary: true },
    price: { type: 'decimal', precision: 10, scale: 2 },
    cost: { type: 'decimal', columnType: 'numeric(10,2)', nullable: true },
    flowVolume: { type: DecimalType, precision: 32, columnType: 'decimal' },
    spent: { type: DecimalType, precision: 10, scale: 2, columnType: 'decimal', nullable: true },
    total: { type: 'number', columnType: 'decimal(12,3)', nullable: true },
    code: { type: 'string', columnType: 'character varying(50)', unique: true },
  },
});

export const Sale = new EntitySchema({
  name: 'Sale',
  properties: {
    id: { type: 'number', primary: true },
    // A foreign key to a column whose spelling differs from the database's: MikroORM drops and
    // re-adds the foreign keys of a column whose type changes.
    product: { kind: 'm:1', entity: 'Product', joinColumn: 'product_code', referencedColumnNames: ['code'], columnType: 'character varying(50)' },
    amount: { type: 'decimal', columnType: 'numeric', precision: 12 },
  },
});
`;

describe('decimal columns with precision and scale', () => {
  let root: string;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };

  before(async () => {
    root = scratchApp('veloiq-decimal-', { name: 'decimal-app', private: true });
    writeInto(
      root,
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/postgresql';\n\n` +
        `export default defineConfig({ clientUrl: process.env.DATABASE_URL, entitiesTs: ['src/**/*.entity.ts'], entities: ['dist/**/*.entity.js'] });\n`,
    );
    writeInto(root, 'src/product.entity.ts', ENTITY);
    db = await createTestDatabase('vq_nc3_dec');
    o = { projectRoot: root, cwd: root, env: { DATABASE_URL: db.url } };
  });

  after(async () => {
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('after upgrade, migrate has nothing to write and check reports no drift', async () => {
    const first = await migrate({ ...o, message: 'create product' });
    assert.ok(first.revision);
    await upgrade(o);
    const columns = await db.query<{ column_name: string; t: string }>(
      `select column_name, format_type(atttypid, atttypmod) as t from information_schema.columns c join pg_attribute a on a.attname = c.column_name and a.attrelid = 'product'::regclass where table_name = 'product' order by ordinal_position`,
    );
    assert.deepEqual(
      columns.map((c) => `${c.column_name} ${c.t}`),
      ['id integer', 'price numeric(10,2)', 'cost numeric(10,2)', 'flow_volume numeric', 'spent numeric', 'total numeric(12,3)', 'code character varying(50)'],
    );

    const second = await migrate({ ...o, message: 'nothing changed' });
    assert.equal(second.revision, null, `no revision expected, got changes ${JSON.stringify(second.changes)}`);
    assert.equal(revisionFiles().length, 1);
    const checked = await check(o);
    assert.equal(checked.ok, true, toText(checked));
    assert.match(toText(checked), /^No differences/);
  });

  test('a real change of precision is still a revision, up and down', async () => {
    const entity = join(root, 'src/product.entity.ts');
    writeFileSync(
      entity,
      readFileSync(entity, 'utf8').replace("price: { type: 'decimal', precision: 10, scale: 2 }", "price: { type: 'decimal', precision: 12, scale: 2 }"),
    );
    const migrated = await migrate({ ...o, message: 'wider price' });
    assert.ok(migrated.revision);
    assert.deepEqual(migrated.changes, [{ action: 'altered', object: 'column', name: 'product.price' }]);
    const source = readFileSync(join(root, migrated.revision.path), 'utf8');
    assert.match(source, /alter column "price" type numeric\(12,2\)/);
    assert.match(source, /alter column "price" type numeric\(10,2\)/);
    assert.equal(source.match(/alter column/g)?.length, 2, source);
  });

  function revisionFiles(): string[] {
    return readdirSync(join(root, 'src/migrations')).filter((f) => f.endsWith('.ts'));
  }
});
