// Revision files written by hand for the downgrade/stamp/--sql tests, so those tests know every
// id and table whatever the sample's own migrations folder holds at the moment.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, describeError } from '../src/core/errors';
import type { TestDatabase } from './support';

export interface RevisionSpec {
  id: string;
  slug: string;
  description: string;
  up: string[];
  down: string[];
}

/** Three revisions, each creating one table: ids share the prefix `mx`, two share `mx0`. */
export const A: RevisionSpec = {
  id: 'mx000001',
  slug: 'create_product_table',
  description: 'create product table',
  up: [`create table "product" ("id" serial primary key, "name" varchar(200) not null);`],
  down: [`drop table if exists "product" cascade;`],
};
export const B: RevisionSpec = {
  id: 'mx000002',
  slug: 'create_orders_table',
  description: 'create orders table',
  up: [`create table "orders" ("id" serial primary key, "product_id" int not null references "product" ("id"));`],
  down: [`drop table if exists "orders" cascade;`],
};
export const C: RevisionSpec = {
  id: 'mx100003',
  slug: 'create_customer_table',
  description: 'create customer table',
  up: [`create table "customer" ("id" serial primary key, "email" varchar(320) not null);`],
  down: [`drop table "customer";`],
};

export const nameOf = (r: RevisionSpec) => `${r.id}_${r.slug}`;

export function writeRevision(dir: string, r: RevisionSpec): void {
  const body = (sql: string[]) => sql.map((s) => `    this.addSql(${JSON.stringify(s)});`).join('\n');
  writeFileSync(
    join(dir, `${nameOf(r)}.ts`),
    `/**\n * ${r.description}\n *\n * Revision: ${r.id}\n */\nimport { Migration } from '@mikro-orm/migrations';\n\n` +
      `export class Migration_${r.id} extends Migration {\n  override async up(): Promise<void> {\n${body(r.up)}\n  }\n\n` +
      `  override async down(): Promise<void> {\n${body(r.down)}\n  }\n}\n`,
  );
}

/** Replaces every revision in `dir` with the given ones. */
export function useRevisions(dir: string, revisions: RevisionSpec[]): void {
  for (const file of readdirSync(dir)) rmSync(join(dir, file), { recursive: true });
  for (const r of revisions) writeRevision(dir, r);
}

/** The command fails with a one-line UserError matching `pattern`; returns the message. */
export async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected the command to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserError, `expected a UserError, got ${describeError(error)}`);
  assert.match(error.message, pattern);
  assert.doesNotMatch(error.message, /\n/, 'the message is one line');
  return error.message;
}

/** What a user would look at: the tables and the record. */
export async function snapshot(db: TestDatabase): Promise<{ tables: string[]; applied: string[] }> {
  return { tables: await db.tables(), applied: await db.applied() };
}
