/**
 * create invoice table
 *
 * Revision: mwx0gt43
 * Created: 2026-11-26 03:46:52 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_mwx0gt43 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "invoice" ("id" serial primary key, "number" varchar(32) not null, "customer_id" int not null, "amount_cents" int not null, "currency" varchar(3) not null, "issued_at" timestamptz not null, "paid_at" timestamptz null);`);
    this.addSql(`alter table "invoice" add constraint "invoice_number_unique" unique ("number");`);

    this.addSql(`alter table "invoice" add constraint "invoice_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "invoice" cascade;`);
  }
}
