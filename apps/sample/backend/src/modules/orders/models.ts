import { defineEntity, p } from '@mikro-orm/core';
import { Product } from '../products/models';

export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.integer().primary().autoincrement(),
    product: () => p.manyToOne(Product),
    quantity: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
