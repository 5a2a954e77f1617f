import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { checkKey, infoOf, parseRecord, SnapshotRecords, type SnapshotRecord } from './records.js';

const id = 'a'.repeat(64);
const created = '2024-01-02T03:04:05.000Z';

describe('snapshot records (no root)', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-test-records-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a record once: a second create of the key says no and changes nothing', () => {
    const records = new SnapshotRecords(root);
    const first: SnapshotRecord = { key: 'sha256:' + 'b'.repeat(64), kind: 'committed', id, created };
    assert.equal(records.create(first), true);
    assert.equal(records.create({ ...first, id: 'c'.repeat(64) }), false);
    assert.deepEqual(records.get(first.key), { ...first, parent: undefined });
    assert.deepEqual(readdirSync(join(root, 'metadata')), [`${first.key}.json`], 'no temp file left');
  });

  it('lists records in key order, replaces and removes them; removing a missing one is no error', () => {
    const records = new SnapshotRecords(root);
    records.create({ key: 'b', kind: 'active', id, parent: 'a', created });
    records.create({ key: 'a', kind: 'committed', id: 'c'.repeat(64), created });
    records.create({ key: 'v', kind: 'view', parent: 'a', created });
    assert.deepEqual(records.list().map((r) => r.key), ['a', 'b', 'v']);
    records.replace({ key: 'b', kind: 'committed', id, parent: 'a', created });
    assert.equal(records.get('b')?.kind, 'committed');
    records.remove('b');
    records.remove('b');
    assert.equal(records.get('b'), undefined);
    assert.deepEqual(infoOf(records.get('v')!), { key: 'v', kind: 'view', parent: 'a', created });
    assert.deepEqual(infoOf(records.get('a')!), { key: 'a', kind: 'committed', created });
  });

  it('sweeps the temp files of record writes whose process is gone, and only those', () => {
    const records = new SnapshotRecords(root);
    const names = ['.sha256:x.123-abcd.tmp', 'k.json.tmp-123', '.live.456-ef.tmp', 'k.json.tmp-456', 'k.json'];
    for (const n of names) writeFileSync(join(root, 'metadata', n), n === 'k.json' ? JSON.stringify({ key: 'k', kind: 'active', id, created }) : '');
    records.sweep((pid) => pid === 456);
    assert.deepEqual(readdirSync(join(root, 'metadata')).sort(), ['.live.456-ef.tmp', 'k.json', 'k.json.tmp-456']);
  });

  it('a volatile record a power cut emptied is no record, and the sweep removes it', () => {
    const records = new SnapshotRecords(root);
    assert.equal(records.create({ key: 'rw', kind: 'active', id, created }, false), true);
    assert.equal(records.get('rw')?.id, id);
    writeFileSync(join(root, 'metadata', 'rw.json'), '');
    assert.equal(records.get('rw'), undefined);
    assert.deepEqual(records.list(), []);
    records.sweep(() => false);
    assert.deepEqual(readdirSync(join(root, 'metadata')), []);
  });

  it('refuses a damaged record with the file named and a hint', () => {
    const records = new SnapshotRecords(root);
    writeFileSync(join(root, 'metadata', 'x.json'), '{"key":"x","kind":"committed","created":"2024-01-01T00:00:00Z"}');
    assert.throws(
      () => records.get('x'),
      (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_RECORD' && err.message.endsWith('x.json": a committed snapshot needs an "id"') && err.hint !== undefined,
    );
    assert.throws(() => parseRecord('nope', 'f'), /read snapshot record "f": not JSON/);
    assert.throws(() => parseRecord(JSON.stringify({ key: 'x', kind: 'other', id, created }), 'f'), /bad "kind"/);
    assert.throws(() => parseRecord(JSON.stringify({ key: 'x', kind: 'active', id: '../x', created }), 'f'), /bad "id"/);
    assert.throws(() => parseRecord(JSON.stringify({ key: 'x', kind: 'active', id, parent: 'a/b', created }), 'f'), /bad "parent"/);
    assert.throws(() => parseRecord(JSON.stringify({ key: 'x', kind: 'active', id, created: 'yesterday' }), 'f'), /bad "created"/);
  });

  it('accepts chain IDs and container keys, and nothing that could leave the metadata directory', () => {
    for (const ok of ['sha256:' + 'e'.repeat(64), 'c0ffee-init', 'build.1_x@2+y']) checkKey(ok);
    for (const bad of ['', '../x', 'a/b', '.hidden', '-x', 'a b', 'x'.repeat(201)]) {
      assert.throws(() => checkKey(bad), (err: unknown) => err instanceof EngineError && err.code === 'SNAPSHOT_KEY' && err.kind === 'InvalidArgument');
    }
    assert.equal(new SnapshotRecords(root).get('../etc/passwd'), undefined);
  });
});
