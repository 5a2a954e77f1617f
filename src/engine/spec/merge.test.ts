import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { mergeImageConfig } from './merge.js';
import type { ContainerConfig, ImageRunConfig } from './types.js';

const refused = (c: ContainerConfig, img: ImageRunConfig | null, code: string, message: RegExp): void => {
  assert.throws(() => mergeImageConfig(c, img), (err: unknown) => {
    assert.ok(isEngineError(err, code), String(err));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, message);
    return true;
  });
};

describe('mergeImageConfig: ENTRYPOINT and CMD', () => {
  const image: ImageRunConfig = { Entrypoint: ['/entry'], Cmd: ['default'] };
  it('takes both from the image when the container gives neither', () => {
    const m = mergeImageConfig({}, image);
    assert.deepEqual([m.Entrypoint, m.Cmd], [['/entry'], ['default']]);
  });
  it('keeps the image entrypoint with the container Cmd', () => {
    const m = mergeImageConfig({ Cmd: ['other'] }, image);
    assert.deepEqual([m.Entrypoint, m.Cmd], [['/entry'], ['other']]);
  });
  it('drops the image Cmd when the container gives an Entrypoint', () => {
    const m = mergeImageConfig({ Entrypoint: ['/bin/sh'] }, image);
    assert.deepEqual(m.Entrypoint, ['/bin/sh']);
    assert.equal(m.Cmd, undefined);
  });
  it('keeps both of the container when it gives both', () => {
    const m = mergeImageConfig({ Entrypoint: ['/bin/sh'], Cmd: ['-c', 'ls'] }, image);
    assert.deepEqual([m.Entrypoint, m.Cmd], [['/bin/sh'], ['-c', 'ls']]);
  });
  it('--entrypoint "" ([""]) removes the entrypoint and, without a command, the image Cmd too', () => {
    const m = mergeImageConfig({ Entrypoint: [''], Cmd: ['ls'] }, image);
    assert.equal(m.Entrypoint, null);
    assert.deepEqual(m.Cmd, ['ls']);
    refused({ Entrypoint: [''] }, image, 'NO_COMMAND', /^No command specified$/);
  });
  it('an empty Entrypoint list given on purpose takes the image Cmd but not its entrypoint', () => {
    const m = mergeImageConfig({ Entrypoint: [] }, image);
    assert.deepEqual([m.Entrypoint, m.Cmd], [[], ['default']]);
  });
  it('fails with "No command specified" when nothing is left', () => {
    refused({}, {}, 'NO_COMMAND', /^No command specified$/);
    refused({ Cmd: [] }, null, 'NO_COMMAND', /No command/);
  });
});

describe('mergeImageConfig: Env, User, WorkingDir, StopSignal, Labels, ports, volumes', () => {
  it('merges Env by name, the container winning, image variables after', () => {
    const m = mergeImageConfig({ Cmd: ['x'], Env: ['A=container', 'C=3'] }, { Env: ['PATH=/img', 'A=image', 'B=2'] });
    assert.deepEqual(m.Env, ['A=container', 'C=3', 'PATH=/img', 'B=2']);
  });
  it('takes the image Env when the container has none', () => {
    assert.deepEqual(mergeImageConfig({ Cmd: ['x'] }, { Env: ['PATH=/img'] }).Env, ['PATH=/img']);
    assert.deepEqual(mergeImageConfig({ Cmd: ['x'], Env: [] }, { Env: ['PATH=/img'] }).Env, ['PATH=/img']);
  });
  it('a variable without "=" still counts as set by the container', () => {
    assert.deepEqual(mergeImageConfig({ Cmd: ['x'], Env: ['A'] }, { Env: ['A=1'] }).Env, ['A']);
  });
  it('defaults User, WorkingDir and StopSignal to the image', () => {
    const m = mergeImageConfig({ Cmd: ['x'] }, { User: 'app', WorkingDir: '/srv', StopSignal: 'SIGQUIT' });
    assert.deepEqual([m.User, m.WorkingDir, m.StopSignal], ['app', '/srv', 'SIGQUIT']);
    const own = mergeImageConfig({ Cmd: ['x'], User: '0', WorkingDir: '/w', StopSignal: 'TERM' }, { User: 'app', WorkingDir: '/srv', StopSignal: 'SIGQUIT' });
    assert.deepEqual([own.User, own.WorkingDir, own.StopSignal], ['0', '/w', 'TERM']);
  });
  it('unions labels, ports and volumes; a container label wins', () => {
    const m = mergeImageConfig(
      { Cmd: ['x'], Labels: { a: 'c' }, ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} } },
      { Labels: { a: 'i', b: 'i' }, ExposedPorts: { '443/tcp': {} }, Volumes: { '/img': {} } },
    );
    assert.deepEqual(m.Labels, { a: 'c', b: 'i' });
    assert.deepEqual(Object.keys(m.ExposedPorts ?? {}).sort(), ['443/tcp', '80/tcp']);
    assert.deepEqual(Object.keys(m.Volumes ?? {}).sort(), ['/data', '/img']);
    assert.deepEqual(mergeImageConfig({ Cmd: ['x'] }, {}).Labels, {});
  });
  it('fills unset healthcheck fields from the image', () => {
    const m = mergeImageConfig({ Cmd: ['x'], Healthcheck: { Interval: 5 } }, { Healthcheck: { Test: ['CMD', 'true'], Interval: 1, Retries: 3 } });
    assert.deepEqual(m.Healthcheck, { Test: ['CMD', 'true'], Interval: 5, Retries: 3 });
  });
  it('changes neither argument', () => {
    const c: ContainerConfig = { Env: ['A=1'], Labels: {} };
    const img: ImageRunConfig = { Env: ['B=2'], Cmd: ['sh'], Labels: { l: 'v' } };
    const before = structuredClone([c, img]);
    const m = mergeImageConfig(c, img);
    m.Cmd?.push('changed');
    assert.deepEqual([c, img], before);
  });
});

describe('mergeImageConfig: validation', () => {
  it('refuses a relative WorkingDir, an unknown stop signal, a variable without a name', () => {
    refused({ Cmd: ['x'], WorkingDir: 'rel' }, null, 'BAD_WORKDIR', /the working directory 'rel' is invalid, it needs to be an absolute path/);
    refused({ Cmd: ['x'], StopSignal: 'SIGNOPE' }, null, 'BAD_SIGNAL', /unknown signal/);
    refused({ Cmd: ['x'], Env: ['=x'] }, null, 'BAD_ENV', /invalid environment variable: =x/);
  });
});
