import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { Router } from './router.js';

const h = (name: string) => () => name;

test('router: literal and parameter segments, by method', () => {
  const r = new Router().get('/containers/json', h('list')).get('/containers/:id/json', h('inspect')).post('/containers/:id/start', h('start')).delete('/containers/:id', h('rm'));
  assert.equal(r.match('GET', '/containers/json')?.route.pattern, '/containers/json');
  assert.deepEqual(r.match('GET', '/containers/abc/json')?.params, { id: 'abc' });
  assert.deepEqual(r.match('POST', '/containers/abc/start')?.params, { id: 'abc' });
  assert.deepEqual(r.match('DELETE', '/containers/abc')?.params, { id: 'abc' });
  assert.equal(r.match('GET', '/containers/abc/start'), undefined);
  assert.equal(r.match('POST', '/containers/abc/json'), undefined);
  assert.equal(r.match('GET', '/containers/a/b/json'), undefined, 'a one-segment parameter holds no slash');
  assert.equal(r.match('GET', '/containers//json'), undefined);
  assert.equal(r.match('GET', '/containers/json/'), undefined);
  assert.equal(r.match('HEAD', '/containers/json'), undefined, 'HEAD is not served by a GET route');
});

test('router: greedy parameters take image names with slashes; first registered wins', () => {
  const r = new Router().get('/images/json', h('list')).get('/images/:name*/json', h('inspect')).post('/images/:name*/tag', h('tag')).delete('/images/:name*', h('rmi'));
  assert.equal(r.match('GET', '/images/json')?.route.pattern, '/images/json');
  assert.deepEqual(r.match('GET', '/images/docker.io/library/busybox:latest/json')?.params, { name: 'docker.io/library/busybox:latest' });
  assert.deepEqual(r.match('GET', '/images/busybox/json')?.params, { name: 'busybox' });
  assert.deepEqual(r.match('POST', '/images/localhost:5000/a/b/tag')?.params, { name: 'localhost:5000/a/b' });
  assert.deepEqual(r.match('DELETE', '/images/quay.io/x/y@sha256:abc')?.params, { name: 'quay.io/x/y@sha256:abc' });
  // "json" can itself be an image named json: the greedy parameter backs off to leave the last /json
  assert.deepEqual(r.match('GET', '/images/json/json')?.params, { name: 'json' });
});

test('router: parameters are percent-decoded; bad encoding is a 400', () => {
  const r = new Router().get('/volumes/:name', h('v')).get('/images/:name*/json', h('i'));
  assert.deepEqual(r.match('GET', '/volumes/my%20vol')?.params, { name: 'my vol' });
  assert.deepEqual(r.match('GET', '/images/a%2Fb%3Atag/json')?.params, { name: 'a/b:tag' });
  assert.throws(() => r.match('GET', '/volumes/%E0%A4%A'), (e) => isEngineError(e, 'BAD_PATH_PARAMETER') && e.kind === 'InvalidArgument');
});

test('router: a route registered twice or a malformed pattern is a programming error', () => {
  const r = new Router().get('/a/:id', h('a'));
  assert.throws(() => r.get('/a/:id', h('b')), /registered twice/);
  r.post('/a/:id', h('post')); // another method is another route
  assert.throws(() => r.get('no-slash', h('x')), /must start with/);
  assert.throws(() => r.get('/x/:a/:a', h('x')), /twice/);
  assert.throws(() => r.get('/x/a:b', h('x')), /bad parameter/);
  assert.deepEqual(r.routes().map((x) => `${x.method} ${x.pattern} ${x.hijack}`), ['GET /a/:id false', 'POST /a/:id false']);
  r.post('/exec/:id/start', h('exec'), { hijack: true });
  assert.equal(r.match('POST', '/exec/e1/start')?.route.hijack, true);
});

test('router: literal segments are not regular expressions', () => {
  const r = new Router().get('/a.b/c', h('x'));
  assert.ok(r.match('GET', '/a.b/c'));
  assert.equal(r.match('GET', '/aXb/c'), undefined);
});
