import { defineEntity, p } from '@mikro-orm/core';

export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customer',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200),
    email: p.string().length(320).unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
