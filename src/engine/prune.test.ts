import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsMatch } from './prune.js';

describe('container prune: label filters', () => {
  const labels = { app: 'web', tier: 'front' };

  it('no filter keeps every container in the running', () => {
    assert.equal(labelsMatch({}, labels), true);
  });

  it('label: every one must match, by key or key=value', () => {
    assert.equal(labelsMatch({ label: ['app'] }, labels), true);
    assert.equal(labelsMatch({ label: ['app=web', 'tier=front'] }, labels), true);
    assert.equal(labelsMatch({ label: ['app=web', 'tier=back'] }, labels), false);
    assert.equal(labelsMatch({ label: ['db'] }, labels), false);
  });

  it('label!: a container matching all of them is kept', () => {
    assert.equal(labelsMatch({ 'label!': ['app=web'] }, labels), false);
    assert.equal(labelsMatch({ 'label!': ['app=db'] }, labels), true);
    assert.equal(labelsMatch({ 'label!': ['app=web', 'tier=back'] }, labels), true);
    assert.equal(labelsMatch({ label: ['tier'], 'label!': ['app=db'] }, labels), true);
  });

  it('names of Object.prototype are no labels', () => {
    assert.equal(labelsMatch({ label: ['constructor'] }, {}), false);
    assert.equal(labelsMatch({ label: ['toString'] }, labels), false);
  });
});
