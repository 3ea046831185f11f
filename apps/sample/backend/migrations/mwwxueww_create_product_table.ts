/**
 * create product table
 *
 * Revision: mwwxueww
 * Created: 2026-11-26 02:33:28 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_mwwxueww extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "product" ("id" serial primary key, "name" varchar(200) not null, "price_cents" int not null, "created_at" timestamptz not null);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "product" cascade;`);
  }
}
