// The normalisation behind "an alter to the same PostgreSQL type is no change": a table of the
// spellings MikroORM's diff puts side by side (the database's introspected type against the
// entity's DDL), in memory.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalType, sameColumnType } from '../src/core/same-type';

describe('sameColumnType', () => {
  const same: [string, string][] = [
    ['numeric', 'decimal'],
    ['numeric(10,2)', 'decimal(10,2)'],
    ['numeric(10,2)', 'DECIMAL( 10, 2 )'],
    ['int4', 'integer'],
    ['int', 'int4'],
    ['int8', 'bigint'],
    ['int2', 'smallint'],
    ['bool', 'boolean'],
    ['varchar(50)', 'character varying(50)'],
    ['varchar', 'character varying'],
    ['char(3)', 'character(3)'],
    ['bpchar(3)', 'char(3)'],
    ['char', 'character(1)'],
    ['float8', 'double precision'],
    ['float4', 'real'],
    ['timestamptz', 'timestamp with time zone'],
    ['timestamptz(6)', 'timestamptz'],
    ['timestamptz(3)', 'timestamp(3) with time zone'],
    ['timestamp', 'timestamp without time zone'],
    ['timetz(0)', 'time(0) with time zone'],
    ['int4[]', 'integer[]'],
    ['varchar(255)[]', 'character varying(255)[]'],
    ['jsonb', 'JSONB'],
    ['app.status', 'app.status'],
  ];
  for (const [a, b] of same) {
    test(`${a} is ${b}`, () => {
      assert.equal(sameColumnType(a, b), true);
      assert.equal(sameColumnType(b, a), true);
    });
  }

  const different: [string, string][] = [
    ['numeric', 'numeric(10,2)'],
    ['numeric(10,0)', 'numeric'],
    ['numeric(10,2)', 'numeric(12,2)'],
    ['numeric(10,2)', 'numeric(10,3)'],
    ['varchar(50)', 'varchar(80)'],
    ['varchar', 'varchar(255)'],
    ['character varying', 'character'],
    ['char(3)', 'varchar(3)'],
    ['int', 'bigint'],
    ['timestamptz', 'timestamp'],
    ['timestamptz(3)', 'timestamptz'],
    ['text', 'varchar'],
    ['int4', 'int4[]'],
    ['json', 'jsonb'],
    ['uuid', 'text'],
    ['real', 'double precision'],
  ];
  for (const [a, b] of different) {
    test(`${a} is not ${b}`, () => {
      assert.equal(sameColumnType(a, b), false);
      assert.equal(sameColumnType(b, a), false);
    });
  }

  test('text it cannot read is never the same type', () => {
    assert.equal(canonicalType('numeric(10,2'), undefined);
    assert.equal(sameColumnType('numeric(10,2', 'numeric(10,2'), false);
    assert.equal(sameColumnType('', ''), false);
  });

  test('one spelling per type', () => {
    assert.equal(canonicalType('DECIMAL( 10, 2 )'), 'numeric(10,2)');
    assert.equal(canonicalType('timestamptz(3)'), 'timestamp with time zone(3)');
    assert.equal(canonicalType('character  varying(50)'), 'character varying(50)');
  });
});
