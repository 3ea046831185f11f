import { defineEntity, p } from '@mikro-orm/core';
import { Customer } from '../customers/models';

export const Invoice = defineEntity({
  name: 'Invoice',
  tableName: 'invoice',
  properties: {
    id: p.integer().primary().autoincrement(),
    number: p.string().length(32).unique(),
    customer: () => p.manyToOne(Customer),
    amountCents: p.integer(),
    currency: p.string().length(3),
    issuedAt: p.datetime(),
    paidAt: p.datetime().nullable(),
  },
});
