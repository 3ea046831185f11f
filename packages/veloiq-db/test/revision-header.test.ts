// A revision's description is the first line of its doc comment, however long the `-m` message
// was: the header is read until the comment ends, not only its first kilobytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { headerLine, renderRevision } from '../src/core/revision-file';
import { listRevisions } from '../src/core/revisions';

describe('revision descriptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veloiq-header-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string][] = [
    ['a short message', 'add sku field to product'],
    ['a message of 5 KB', `add ${'very '.repeat(1000)}long column`],
    ['a message of 20 KB', 'x'.repeat(20_000)],
    // Four-byte characters across every 4096-byte boundary of the file.
    ['6 KB of emoji', '🚀'.repeat(1500)],
  ];
  cases.forEach(([name, message], i) => {
    test(name, () => {
      const id = `mx00000${i}`;
      writeFileSync(join(dir, `${id}_m.ts`), renderRevision({ id, message, up: ['select 1'], down: [], parents: [] }));
      const revision = listRevisions(dir).find((r) => r.id === id)!;
      assert.equal(revision.description, headerLine(message));
    });
  });
});
