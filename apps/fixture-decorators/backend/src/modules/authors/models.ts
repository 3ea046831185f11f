import { BeforeCreate, BeforeUpdate, Collection, Embeddable, Embedded, Entity, Enum, Index, ManyToMany, OneToMany, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../../common/base.entity';
import type { Book } from '../books/models';

export enum AuthorRole {
  Writer = 'writer',
  Editor = 'editor',
  Admin = 'admin',
}

@Embeddable()
export class Address {
  @Property()
  street!: string;

  @Property()
  city!: string;

  @Property({ nullable: true })
  postcode?: string;
}

@Entity()
@Unique({ properties: ['firstName', 'lastName'] })
export class Author extends BaseEntity {
  @Property({ length: 100 })
  firstName!: string;

  @Property({ length: 100 })
  lastName!: string;

  @Property()
  @Index()
  email!: string;

  @Property({ nullable: true })
  slug?: string;

  @Enum({ items: () => AuthorRole, nativeEnumName: 'author_role' })
  role: AuthorRole = AuthorRole.Writer;

  @Property({ type: 'text[]', nullable: true })
  aliases?: string[];

  @Property({ type: 'json', nullable: true })
  settings?: Record<string, unknown>;

  /** Inline: columns address_street, address_city, address_postcode. */
  @Embedded(() => Address)
  address!: Address;

  /** As JSON: one jsonb column. */
  @Embedded(() => Address, { object: true, nullable: true })
  billingAddress?: Address;

  @OneToMany('Book', 'author')
  books = new Collection<Book>(this);

  /** Self-referencing many-to-many. */
  @ManyToMany(() => Author)
  follows = new Collection<Author>(this);

  @BeforeCreate()
  @BeforeUpdate()
  makeSlug(): void {
    this.slug = `${this.firstName}-${this.lastName}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }
}
