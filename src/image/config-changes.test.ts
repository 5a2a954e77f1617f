import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import type { ContainerConfig } from '../spec/oci-image.js';
import { applyChanges } from './config-changes.js';

const apply = (changes: string[], config?: ContainerConfig): ContainerConfig => applyChanges(config, changes);
const refused = (changes: string[], message: RegExp, config?: ContainerConfig): void => {
  assert.throws(() => applyChanges(config, changes), (err: unknown) => {
    assert.ok(isEngineError(err, 'INVALID_CHANGE'), String(err));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, message);
    return true;
  });
};

describe('applyChanges: CMD and ENTRYPOINT', () => {
  it('takes the exec (JSON) form as given and puts the shell form behind /bin/sh -c', () => {
    assert.deepEqual(apply(['CMD ["/bin/app", "--flag"]']).Cmd, ['/bin/app', '--flag']);
    assert.deepEqual(apply(['CMD echo "hi there" && ls']).Cmd, ['/bin/sh', '-c', 'echo "hi there" && ls']);
    assert.deepEqual(apply(['ENTRYPOINT ["tini", "--"]']).Entrypoint, ['tini', '--']);
    assert.deepEqual(apply(['entrypoint exec app']).Entrypoint, ['/bin/sh', '-c', 'exec app']);
    // not JSON after all: the shell form, text kept
    assert.deepEqual(apply(['CMD [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
  });
  it('uses the config\'s Shell for the shell form', () => {
    assert.deepEqual(apply(['CMD ls'], { Shell: ['/bin/bash', '-lc'] }).Cmd, ['/bin/bash', '-lc', 'ls']);
  });
  it('refuses a JSON array of anything but strings', () => {
    refused(['CMD ["a", 1]'], /arrays must be comprised of strings only/);
  });
  it('clears Cmd with ENTRYPOINT unless a CMD came first in the same changes, as a build does', () => {
    const base = { Cmd: ['sh'] };
    assert.equal(apply(['ENTRYPOINT ["app"]'], base).Cmd, null);
    assert.deepEqual(apply(['CMD ["x"]', 'ENTRYPOINT ["app"]'], base).Cmd, ['x']);
    assert.equal(apply(['ENTRYPOINT ["app"]', 'CMD ["x"]'], base).Entrypoint?.[0], 'app');
  });
  it('drops ArgsEscaped (a Windows-only flag) when the command changes', () => {
    assert.equal(apply(['CMD ["a"]'], { ArgsEscaped: true }).ArgsEscaped, undefined);
  });
  it('does not modify the config it is given', () => {
    const base: ContainerConfig = { Env: ['A=1'], Cmd: ['sh'] };
    apply(['ENV A=2', 'CMD ["x"]'], base);
    assert.deepEqual(base, { Env: ['A=1'], Cmd: ['sh'] });
  });
});

describe('applyChanges: ENV and LABEL', () => {
  it('sets, replaces in place, and quotes', () => {
    const c = apply(['ENV PATH=/usr/bin A="hello world" B=\'$NOT\' C=x\\ y'], { Env: ['PATH=/bin', 'Z=1'] });
    assert.deepEqual(c.Env, ['PATH=/usr/bin', 'Z=1', 'A=hello world', 'B=$NOT', 'C=x y']);
  });
  it('reads the old `ENV key value with spaces` form', () => {
    assert.deepEqual(apply(['ENV GREETING hello big world']).Env, ['GREETING=hello big world']);
    assert.deepEqual(apply(['LABEL maintainer someone <x@y>']).Labels, { maintainer: 'someone <x@y>' });
  });
  it('expands from the environment as it was before the instruction', () => {
    const c = apply(['ENV abc=bye def=$abc', 'ENV ghi=${abc}-${missing:-dflt}-${abc:+alt}-${missing:+never}'], { Env: ['abc=hello'] });
    assert.deepEqual(c.Env, ['abc=bye', 'def=hello', 'ghi=bye-dflt-alt-']);
    assert.deepEqual(apply(['ENV A="$HOME/x" B=\\$HOME C=$'], { Env: ['HOME=/root'] }).Env, ['HOME=/root', 'A=/root/x', 'B=$HOME', 'C=$']);
  });
  it('sets labels, expanded', () => {
    assert.deepEqual(apply(['LABEL a=1 "b c"="d e" version=$V'], { Env: ['V=2'], Labels: null }).Labels, { a: '1', 'b c': 'd e', version: '2' });
  });
  it('refuses malformed pairs with Docker\'s words', () => {
    refused(['ENV'], /ENV requires at least one argument/);
    refused(['ENV ONLYKEY'], /ENV must have two arguments/);
    refused(['ENV a=b c'], /can't find = in "c"\. Must be of the form: name=value/);
    refused(['ENV =x'], /ENV names can not be blank/);
    refused(['LABEL'], /LABEL requires at least one argument/);
    refused(['ENV a="unterminated'], /matching double-quote/);
    refused(['ENV a=${b'], /missing '}'/);
    refused(['ENV a=${b?err}'], /bad substitution/);
  });
});

describe('applyChanges: WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL', () => {
  it('resolves WORKDIR against the previous one', () => {
    assert.equal(apply(['WORKDIR /app']).WorkingDir, '/app');
    assert.equal(apply(['WORKDIR /a', 'WORKDIR b', 'WORKDIR ../c']).WorkingDir, '/a/c');
    assert.equal(apply(['WORKDIR rel']).WorkingDir, '/rel');
    assert.equal(apply(['WORKDIR $D/sub'], { Env: ['D=/srv'] }).WorkingDir, '/srv/sub');
  });
  it('sets USER, expanded', () => {
    assert.equal(apply(['USER 1000:1000']).User, '1000:1000');
    assert.equal(apply(['USER ${U}'], { Env: ['U=nobody'] }).User, 'nobody');
    refused(['USER'], /USER requires exactly one argument/);
  });
  it('records exposed ports, ranges and protocols, and a variable holding several', () => {
    const c = apply(['EXPOSE 80 443/tcp 53/UDP 7000-7002/sctp', 'EXPOSE $PORTS'], { Env: ['PORTS=8080 9090/udp'] });
    assert.deepEqual(Object.keys(c.ExposedPorts!).sort(), ['443/tcp', '53/udp', '7000/sctp', '7001/sctp', '7002/sctp', '80/tcp', '8080/tcp', '9090/udp'].sort());
    refused(['EXPOSE 80/icmp'], /invalid proto: icmp/);
    refused(['EXPOSE http'], /invalid containerPort: http/);
    refused(['EXPOSE 70000'], /invalid containerPort: 70000/);
    refused(['EXPOSE 90-80'], /invalid containerPort: 90-80/);
  });
  it('adds volumes in both forms', () => {
    assert.deepEqual(apply(['VOLUME /data /logs']).Volumes, { '/data': {}, '/logs': {} });
    assert.deepEqual(apply(['VOLUME ["/a b", "$D"]'], { Env: ['D=/d'] }).Volumes, { '/a b': {}, '/d': {} });
    refused(['VOLUME [""]'], /VOLUME specified can not be an empty string/);
  });
  it('checks STOPSIGNAL and keeps it as written', () => {
    for (const s of ['SIGTERM', 'term', 'KILL', '9', 'SIGRTMIN+3', 'RTMAX-1']) assert.equal(apply([`STOPSIGNAL ${s}`]).StopSignal, s);
    refused(['STOPSIGNAL SIGNOPE'], /invalid signal: SIGNOPE/);
    refused(['STOPSIGNAL 0'], /invalid signal: 0/);
    refused(['STOPSIGNAL 65'], /invalid signal: 65/);
  });
});

describe('applyChanges: ONBUILD and HEALTHCHECK', () => {
  it('records ONBUILD triggers as written, refusing the forbidden ones', () => {
    assert.deepEqual(apply(['ONBUILD RUN make', 'onbuild COPY . /src']).OnBuild, ['RUN make', 'COPY . /src']);
    refused(['ONBUILD ONBUILD RUN x'], /ONBUILD ONBUILD/);
    refused(['ONBUILD FROM x'], /FROM isn't allowed as an ONBUILD trigger/);
    refused(['ONBUILD'], /ONBUILD requires at least one argument/);
  });
  it('sets a health check with its options in nanoseconds', () => {
    assert.deepEqual(apply(['HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD curl -f http://localhost/']).Healthcheck, {
      Test: ['CMD-SHELL', 'curl -f http://localhost/'],
      Interval: 30e9,
      Timeout: 90e9,
      StartPeriod: 500e6,
      Retries: 3,
    });
    assert.deepEqual(apply(['HEALTHCHECK CMD ["/bin/check", "-q"]']).Healthcheck, { Test: ['CMD', '/bin/check', '-q'] });
    assert.deepEqual(apply(['HEALTHCHECK NONE'], { Healthcheck: { Test: ['CMD', 'x'] } }).Healthcheck, { Test: ['NONE'] });
  });
  it('refuses a malformed health check', () => {
    refused(['HEALTHCHECK NONE extra'], /HEALTHCHECK NONE takes no arguments/);
    refused(['HEALTHCHECK CMD'], /missing command after HEALTHCHECK CMD/);
    refused(['HEALTHCHECK RUN x'], /unknown type "RUN" in HEALTHCHECK \(try CMD\)/);
    refused(['HEALTHCHECK --retries=0 CMD x'], /--retries must be at least 1 \(not 0\)/);
    refused(['HEALTHCHECK --interval=1us CMD x'], /Interval "1us" cannot be less than 1ms/);
    refused(['HEALTHCHECK --interval=soon CMD x'], /--interval: invalid duration "soon"/);
    refused(['HEALTHCHECK --every=1s CMD x'], /unknown flag: every/);
  });
});

describe('applyChanges: the Dockerfile around the instructions', () => {
  it('refuses instructions that are not run-config changes, as Docker does', () => {
    for (const i of ['RUN make', 'COPY . /', 'ADD x /', 'FROM busybox', 'ARG X', 'SHELL ["/bin/bash"]', 'MAINTAINER me', 'BOGUS x']) {
      const word = i.split(' ')[0]!.toLowerCase();
      assert.throws(() => applyChanges(undefined, [i]), (err: unknown) => {
        assert.ok(isEngineError(err, 'INVALID_CHANGE'));
        assert.equal(err.message, `change ${JSON.stringify(i)}: ${word} is not a valid change command`);
        assert.match(err.hint ?? '', /CMD, ENTRYPOINT, ENV/);
        return true;
      });
    }
  });
  it('joins continued lines, skips comments and blank lines, and reads several per --change', () => {
    const c = apply(['# a comment', 'ENV A=1 \\\n  B=2', '', 'LABEL x=y\nUSER app']);
    assert.deepEqual(c.Env, ['A=1', 'B=2']);
    assert.deepEqual(c.Labels, { x: 'y' });
    assert.equal(c.User, 'app');
    // a comment or a blank line inside a continuation is skipped; a dangling "\\" at the end ends the line
    const d = apply(['ENV A=1 \\\n# note\n\n  B=2', 'CMD x \\']);
    assert.deepEqual(d.Env, ['A=1', 'B=2']);
    assert.deepEqual(d.Cmd, ['/bin/sh', '-c', 'x']);
  });
  it('starts from nothing for import, and leaves a config without changes as it was', () => {
    assert.deepEqual(apply([]), {});
    assert.deepEqual(apply([], { Cmd: ['sh'] }), { Cmd: ['sh'] });
  });
});
