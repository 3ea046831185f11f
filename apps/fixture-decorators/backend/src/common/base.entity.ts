import { PrimaryKey, Property } from '@mikro-orm/core';

/** Columns every entity has; not an entity itself (no @Entity), so it has no table. */
export abstract class BaseEntity {
  @PrimaryKey()
  id!: number;

  @Property()
  createdAt: Date = new Date();

  @Property({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
