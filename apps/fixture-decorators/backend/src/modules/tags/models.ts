import { Entity, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../../common/base.entity';

@Entity()
export class Tag extends BaseEntity {
  @Property({ length: 50 })
  @Unique()
  name!: string;
}
