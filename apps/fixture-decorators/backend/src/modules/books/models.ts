import {
  Collection,
  Entity,
  EntityRepository,
  EntityRepositoryType,
  Index,
  ManyToMany,
  ManyToOne,
  PrimaryKeyProp,
  Property,
  Unique,
  type Ref,
} from '@mikro-orm/core';
import { BaseEntity } from '../../common/base.entity';
import { Author } from '../authors/models';
import { Tag } from '../tags/models';

export class BookRepository extends EntityRepository<Book> {
  findCheap(limit: string): Promise<Book[]> {
    return this.find({ price: { $lt: limit } });
  }
}

@Entity({ repository: () => BookRepository })
@Unique({ properties: ['title', 'author'] })
@Index({ properties: ['publishedAt', 'price'] })
export class Book extends BaseEntity {
  [EntityRepositoryType]?: BookRepository;

  @Property({ length: 200 })
  title!: string;

  @Property({ type: 'decimal', precision: 10, scale: 2 })
  price!: string;

  @Property({ nullable: true })
  publishedAt?: Date;

  @ManyToOne(() => Author, { ref: true })
  author!: Ref<Author>;

  @ManyToOne(() => Author, { ref: true, nullable: true })
  editor?: Ref<Author>;

  @ManyToMany({ entity: () => Tag, pivotEntity: () => BookTag })
  tags = new Collection<Tag>(this);
}

/** The custom pivot entity of Book.tags: it carries a column of its own. */
@Entity()
export class BookTag {
  [PrimaryKeyProp]?: ['book', 'tag'];

  @ManyToOne(() => Book, { primary: true, ref: true })
  book!: Ref<Book>;

  @ManyToOne(() => Tag, { primary: true, ref: true })
  tag!: Ref<Tag>;

  @Property()
  addedAt: Date = new Date();
}
