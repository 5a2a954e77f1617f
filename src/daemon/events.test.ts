import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../engine/engine.js';
import { eventLogOf, EventLog, eventMatches, toMessage, type EventMessage } from './events.js';

const ID = 'a'.repeat(64);

function engineEvent(action: string, at: number, attrs: Record<string, string> = {}, id = ID): EngineEvent {
  return { Type: 'container', Action: action, Actor: { ID: id, Attributes: { name: 'bth-x', image: 'busybox:1', ...attrs } }, time: Math.floor(at / 1000), timeNano: at * 1e6 };
}

describe('events: the message', () => {
  it("has dockerd's old fields for containers, attributes in key order, scope local", () => {
    const m = toMessage(engineEvent('die', 1_700_000_000_123, { exitCode: '0', zz: '1', aa: '2' }));
    assert.deepEqual(Object.keys(m), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    assert.equal(m.status, 'die');
    assert.equal(m.id, ID);
    assert.equal(m.from, 'busybox:1');
    assert.deepEqual(Object.keys(m.Actor.Attributes), ['aa', 'exitCode', 'image', 'name', 'zz']);
    assert.equal(m.scope, 'local');
    assert.equal(JSON.stringify(m).includes('"timeNano":1700000000123000000'), true);
  });

  it('other types have no old fields', () => {
    const m = toMessage({ Type: 'volume', Action: 'create', Actor: { ID: 'v', Attributes: { driver: 'local' } }, time: 1, timeNano: 1e9 });
    assert.deepEqual(Object.keys(m), ['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  });
});

describe('events: filters as dockerd reads them', () => {
  const m = toMessage(engineEvent('exec_start: sh -c true', 1000, { app: 'web' }));
  const volume: EventMessage = toMessage({ Type: 'volume', Action: 'mount', Actor: { ID: 'data', Attributes: { container: ID } }, time: 1, timeNano: 1e9 });

  it('event: exact, but exec_create, exec_start and health_status as prefixes', () => {
    assert.equal(eventMatches(m, { event: ['exec_start'] }), true);
    assert.equal(eventMatches(m, { event: ['exec_start: sh -c true'] }), true);
    assert.equal(eventMatches(toMessage(engineEvent('start', 1)), { event: ['sta'] }), false);
    assert.equal(eventMatches(toMessage(engineEvent('start', 1)), { event: ['start', 'die'] }), true);
  });

  it('container: by ID prefix or name prefix; it drops events of other kinds', () => {
    assert.equal(eventMatches(m, { container: ['aaaa'] }), true);
    assert.equal(eventMatches(m, { container: ['bth-x'] }), true);
    assert.equal(eventMatches(m, { container: ['bth'] }), true);
    assert.equal(eventMatches(m, { container: ['other'] }), false);
    assert.equal(eventMatches(volume, { container: ['bth-x'] }), false);
    assert.equal(eventMatches(m, { volume: ['data'] }), false);
    assert.equal(eventMatches(volume, { volume: ['data'] }), true);
  });

  it('type, image (with or without its tag), label (every one), scope', () => {
    assert.equal(eventMatches(m, { type: ['container'] }), true);
    assert.equal(eventMatches(m, { type: ['image'] }), false);
    assert.equal(eventMatches(m, { image: ['busybox:1'] }), true);
    assert.equal(eventMatches(m, { image: ['busybox'] }), true);
    assert.equal(eventMatches(m, { image: ['alpine'] }), false);
    assert.equal(eventMatches(m, { label: ['app'] }), true);
    assert.equal(eventMatches(m, { label: ['app=web', 'name=bth-x'] }), true);
    assert.equal(eventMatches(m, { label: ['app=db'] }), false);
    assert.equal(eventMatches(m, { scope: ['local'] }), true);
    assert.equal(eventMatches(m, { scope: ['swarm'] }), false);
  });

  it('an image with a registry port keeps it when its tag is stripped', () => {
    const e = toMessage(engineEvent('create', 1, { image: 'localhost:5000/app:2' }));
    assert.equal(eventMatches(e, { image: ['localhost:5000/app'] }), true);
    assert.equal(eventMatches(e, { image: ['localhost'] }), false);
  });

  it('keys it does not know are ignored', () => {
    assert.equal(eventMatches(m, { colour: ['red'] }), true);
  });
});

describe('events: the log', () => {
  it('keeps the last ones only; since/until choose among them; none without either', () => {
    const engine = new EventEmitter();
    const log = new EventLog(engine, 3);
    for (let i = 1; i <= 5; i++) engine.emit('event', engineEvent(`a${i}`, i * 1000));
    assert.deepEqual(log.subscribe().past, []);
    assert.deepEqual(log.subscribe({ since: 0n }).past.map((m) => m.Action), ['a3', 'a4', 'a5']);
    assert.deepEqual(log.subscribe({ since: 4_000_000_000n }).past.map((m) => m.Action), ['a4', 'a5']);
    assert.deepEqual(log.subscribe({ until: 4_000_000_000n }).past.map((m) => m.Action), ['a3', 'a4']);
    assert.deepEqual(log.subscribe({ since: 0n, filters: { event: ['a5'] } }).past.map((m) => m.Action), ['a5']);
  });

  it('hands new events to listeners through their filters, and counts them until they close', () => {
    const engine = new EventEmitter();
    const log = new EventLog(engine);
    const got: string[] = [];
    const sub = log.subscribe({ filters: { event: ['die'] } });
    sub.onEvent((m) => got.push(m.Action));
    assert.equal(log.listenerCount, 1);
    engine.emit('event', engineEvent('start', 1));
    engine.emit('event', engineEvent('die', 2));
    sub.close();
    engine.emit('event', engineEvent('die', 3));
    assert.deepEqual(got, ['die']);
    assert.equal(log.listenerCount, 0);
  });

  it('one log per engine', () => {
    const engine = new EventEmitter();
    assert.equal(eventLogOf(engine), eventLogOf(engine));
    assert.notEqual(eventLogOf(engine), eventLogOf(new EventEmitter()));
  });
});
