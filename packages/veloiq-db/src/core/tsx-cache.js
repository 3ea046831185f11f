'use strict';
// tsx keeps the JavaScript it compiles in <tmp>/tsx-<euid>/ and runs what it finds there without
// asking who wrote it: in a temp folder shared with other users, a folder another user made
// first (or may write) would have this process run their code. Such a folder is not used: tsx
// then caches in memory only (TSX_DISABLE_CACHE, read once when tsx loads, so this module is
// loaded before tsx: plain JavaScript, for the bin that loads tsx to run these sources).
const { lstatSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function trustTsxCache() {
  const euid = process.geteuid?.();
  if (euid === undefined || process.env.TSX_DISABLE_CACHE) return;
  const dir = join(tmpdir(), `tsx-${euid}`);
  try {
    // Made here when missing, private, so no other user can make it first.
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // there already (checked below), or a temp folder this user cannot write
  }
  try {
    const stat = lstatSync(dir);
    if (stat.isDirectory() && stat.uid === euid && (stat.mode & 0o022) === 0) return;
  } catch {
    // not there: tsx fails to write its cache and goes on
  }
  process.env.TSX_DISABLE_CACHE = '1';
}

trustTsxCache();
