/**
 * create customer table
 *
 * Revision: mwx0gld6
 * Created: 2026-11-26 03:46:42 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_mwx0gld6 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "customer" ("id" serial primary key, "name" varchar(200) not null, "email" varchar(320) not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "customer" add constraint "customer_email_unique" unique ("email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "customer" cascade;`);
  }
}
