import { Entity, Property } from '@mikro-orm/core';

/** A virtual entity: rows come from the query, no table is created. */
@Entity({
  expression: 'select a.id as author_id, count(b.id)::int as book_count from author a left join book b on b.author_id = a.id group by a.id',
})
export class AuthorStats {
  @Property()
  authorId!: number;

  @Property()
  bookCount!: number;
}
