import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { parseFilters, Query } from './query.js';
import { checkRequestedVersion, compareApiVersions, splitVersionPrefix } from './version.js';

test('query: booleans as dockerd reads them', () => {
  const q = Query.parse('a=1&b=true&c=True&d=0&e=false&f=&g=no&h=NONE&i=yes&j=%20FALSE%20');
  for (const k of ['a', 'b', 'c', 'i']) assert.equal(q.bool(k), true, k);
  for (const k of ['d', 'e', 'f', 'g', 'h', 'j', 'absent']) assert.equal(q.bool(k), false, k);
  assert.equal(q.bool('absent', true), true, 'the fallback is for an absent parameter');
  assert.equal(q.bool('f', true), false, 'an empty one is false');
});

test('query: strings, repeated parameters, integers', () => {
  const q = Query.parse('tail=100&since=-5&signal=SIGKILL&t=&x=1&x=2&bad=1.5&huge=99999999999999999999&name=a+b');
  assert.equal(q.string('signal'), 'SIGKILL');
  assert.equal(q.string('absent'), undefined);
  assert.equal(q.string('name'), 'a b');
  assert.deepEqual(q.strings('x'), ['1', '2']);
  assert.equal(q.has('t'), true);
  assert.equal(q.int('tail'), 100);
  assert.equal(q.int('since'), -5);
  assert.equal(q.int('t', 10), 10, 'empty means absent');
  assert.equal(q.int('absent'), undefined);
  assert.throws(() => q.int('bad'), (e) => isEngineError(e, 'BAD_QUERY_PARAMETER') && /invalid value for bad/.test(e.message));
  assert.throws(() => q.int('huge'), (e) => isEngineError(e, 'BAD_QUERY_PARAMETER'));
  assert.throws(() => q.int('signal'), (e) => isEngineError(e, 'BAD_QUERY_PARAMETER'));
});

test('query: filters in the map form, the old list form, and none', () => {
  assert.deepEqual(parseFilters('{"name":{"web":true,"db":true},"status":{"running":true}}'), { name: ['web', 'db'], status: ['running'] });
  assert.deepEqual(parseFilters('{"label":["a=b","c"],"dangling":["true"]}'), { label: ['a=b', 'c'], dangling: ['true'] });
  assert.deepEqual(parseFilters('{"name":{"x":false}}'), { name: ['x'] }, 'dockerd keeps a key whatever its boolean');
  assert.deepEqual(parseFilters(''), {});
  assert.deepEqual(parseFilters('{}'), {});
  assert.deepEqual(parseFilters('null'), {});
  const q = Query.parse(`filters=${encodeURIComponent('{"name":{"x":true}}')}`);
  assert.deepEqual(q.filters(), { name: ['x'] });
  assert.deepEqual(Query.parse('').filters(), {});
});

test('query: malformed filters are a 400 "invalid filter"', () => {
  for (const bad of ['{', '[]', '"x"', '{"name":"x"}', '{"name":[1]}', '{"name":{"x":"yes"}}', '42']) {
    assert.throws(
      () => parseFilters(bad),
      (e) => isEngineError(e, 'INVALID_FILTER') && e.kind === 'InvalidArgument' && e.message === 'invalid filter',
      bad,
    );
  }
});

test('version: compared number by number, prefix split, range checked with dockerd messages', () => {
  assert.ok(compareApiVersions('1.41', '1.47') < 0);
  assert.ok(compareApiVersions('1.9', '1.10') < 0);
  assert.equal(compareApiVersions('1.41', '1.41.0'), 0);
  assert.ok(compareApiVersions('2', '1.47') > 0);

  assert.deepEqual(splitVersionPrefix('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersionPrefix('/v1.41'), { version: '1.41', path: '/' });
  assert.deepEqual(splitVersionPrefix('/containers/json'), { version: undefined, path: '/containers/json' });
  assert.deepEqual(splitVersionPrefix('/volumes/v1.41'), { version: undefined, path: '/volumes/v1.41' });
  assert.deepEqual(splitVersionPrefix('/v1.41x/_ping'), { version: undefined, path: '/v1.41x/_ping' });

  const range = { max: '1.47', min: '1.24' };
  assert.equal(checkRequestedVersion(undefined, range), '1.47');
  assert.equal(checkRequestedVersion('1.41', range), '1.41');
  assert.equal(checkRequestedVersion('1.24', range), '1.24');
  assert.throws(() => checkRequestedVersion('1.99', range), (e) => isEngineError(e, 'API_VERSION_TOO_NEW') && e.kind === 'InvalidArgument' && e.message === 'client version 1.99 is too new. Maximum supported API version is 1.47');
  assert.throws(
    () => checkRequestedVersion('1.12', range),
    (e) => isEngineError(e, 'API_VERSION_TOO_OLD') && e.message === 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
  );
});
