/**
 * create authors, books and tags
 *
 * Revision: mx5rqpcl
 * Created: 2026-12-02 06:52:33 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_mx5rqpcl extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "author_role" as enum ('writer', 'editor', 'admin');`);
    this.addSql(`create table "author" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "first_name" varchar(100) not null, "last_name" varchar(100) not null, "email" varchar(255) not null, "slug" varchar(255) null, "role" "author_role" not null default 'writer', "aliases" text[] null, "settings" jsonb null, "address_street" varchar(255) not null, "address_city" varchar(255) not null, "address_postcode" varchar(255) null, "billing_address" jsonb null);`);
    this.addSql(`create index "author_email_index" on "author" ("email");`);
    this.addSql(`alter table "author" add constraint "author_first_name_last_name_unique" unique ("first_name", "last_name");`);

    this.addSql(`create table "author_follows" ("author_1_id" int not null, "author_2_id" int not null, constraint "author_follows_pkey" primary key ("author_1_id", "author_2_id"));`);

    this.addSql(`create table "book" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "title" varchar(200) not null, "price" numeric(10,2) not null, "published_at" timestamptz null, "author_id" int not null, "editor_id" int null);`);
    this.addSql(`create index "book_published_at_price_index" on "book" ("published_at", "price");`);
    this.addSql(`alter table "book" add constraint "book_title_author_id_unique" unique ("title", "author_id");`);

    this.addSql(`create table "tag" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(50) not null);`);
    this.addSql(`alter table "tag" add constraint "tag_name_unique" unique ("name");`);

    this.addSql(`create table "book_tag" ("book_id" int not null, "tag_id" int not null, "added_at" timestamptz not null, constraint "book_tag_pkey" primary key ("book_id", "tag_id"));`);

    this.addSql(`alter table "author_follows" add constraint "author_follows_author_1_id_foreign" foreign key ("author_1_id") references "author" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "author_follows" add constraint "author_follows_author_2_id_foreign" foreign key ("author_2_id") references "author" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "book" add constraint "book_author_id_foreign" foreign key ("author_id") references "author" ("id") on update cascade;`);
    this.addSql(`alter table "book" add constraint "book_editor_id_foreign" foreign key ("editor_id") references "author" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "book_tag" add constraint "book_tag_book_id_foreign" foreign key ("book_id") references "book" ("id") on update cascade;`);
    this.addSql(`alter table "book_tag" add constraint "book_tag_tag_id_foreign" foreign key ("tag_id") references "tag" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "author_follows" drop constraint "author_follows_author_1_id_foreign";`);

    this.addSql(`alter table "author_follows" drop constraint "author_follows_author_2_id_foreign";`);

    this.addSql(`alter table "book" drop constraint "book_author_id_foreign";`);

    this.addSql(`alter table "book" drop constraint "book_editor_id_foreign";`);

    this.addSql(`alter table "book_tag" drop constraint "book_tag_book_id_foreign";`);

    this.addSql(`alter table "book_tag" drop constraint "book_tag_tag_id_foreign";`);

    this.addSql(`drop table if exists "author" cascade;`);

    this.addSql(`drop table if exists "author_follows" cascade;`);

    this.addSql(`drop table if exists "book" cascade;`);

    this.addSql(`drop table if exists "tag" cascade;`);

    this.addSql(`drop table if exists "book_tag" cascade;`);

    this.addSql(`drop type "author_role";`);
  }
}
