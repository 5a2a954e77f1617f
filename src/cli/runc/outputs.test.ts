import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemasMissing, validateOci } from '../../../test/helpers/oci-schemas.js';
import { parseSpec } from '../../runtime/config/parse-spec.js';
import { features } from './features.js';
import { defaultSpec, toRootless } from './spec-template.js';

describe('what berth-runtime prints conforms to the OCI schemas', { skip: schemasMissing() }, () => {
  it('the validator rejects what breaks a schema', () => {
    assert.notDeepEqual(validateOci('features-schema.json', { ociVersionMin: 5 }), []);
    assert.notDeepEqual(validateOci('config-schema.json', { ociVersion: '1.2.0', process: { cwd: 7 } }), []);
  });

  it('features', () => {
    assert.deepEqual(validateOci('features-schema.json', features()), []);
  });

  it('spec, and spec --rootless', () => {
    assert.deepEqual(validateOci('config-schema.json', defaultSpec()), []);
    assert.deepEqual(validateOci('config-schema.json', toRootless(defaultSpec(), 1000, 1000)), []);
  });

  it('spec writes what create accepts', () => {
    assert.doesNotThrow(() => parseSpec(defaultSpec()));
    assert.doesNotThrow(() => parseSpec(toRootless(defaultSpec(), 1000, 1000)));
  });
});
