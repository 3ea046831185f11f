/**
 * create orders table
 *
 * Revision: mwwywzue
 * Created: 2026-11-26 03:03:28 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_mwwywzue extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "orders" ("id" serial primary key, "product_id" int not null, "quantity" int not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "orders" add constraint "orders_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "orders" cascade;`);
  }
}
