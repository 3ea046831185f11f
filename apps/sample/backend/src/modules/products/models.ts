import { defineEntity, p } from '@mikro-orm/core';

export const Product = defineEntity({
  name: 'Product',
  tableName: 'product',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200),
    priceCents: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
