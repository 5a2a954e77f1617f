import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePortRange, parsePorts, splitProtoPort } from './ports.js';

describe('-p and --expose', () => {
  it('builds exposed ports and bindings as the nat package does', () => {
    assert.deepEqual(parsePorts(['80', '8080:80', '127.0.0.1::53/UDP', '[::1]:90-91:90-91', '9000-9001:9000'], []), {
      exposed: { '80/tcp': {}, '53/udp': {}, '90/tcp': {}, '91/tcp': {}, '9000/tcp': {} },
      bindings: {
        '80/tcp': [
          { HostIp: '', HostPort: '' },
          { HostIp: '', HostPort: '8080' },
        ],
        '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
        '90/tcp': [{ HostIp: '::1', HostPort: '90' }],
        '91/tcp': [{ HostIp: '::1', HostPort: '91' }],
        '9000/tcp': [{ HostIp: '', HostPort: '9000-9001' }],
      },
    });
    assert.deepEqual(parsePorts(['published=5000,target=50,protocol=udp', 'target=60'], ['7000-7001', '9/foo']), {
      exposed: { '50/udp': {}, '60/tcp': {}, '7000/tcp': {}, '7001/tcp': {}, '9/foo': {} },
      bindings: { '50/udp': [{ HostIp: '', HostPort: '5000' }], '60/tcp': [{ HostIp: '', HostPort: '' }] },
    });
  });
  it("fails with the nat package's messages", () => {
    assert.throws(() => parsePorts(['99999'], []), { message: 'Invalid containerPort: 99999' });
    assert.throws(() => parsePorts(['x:80'], []), { message: 'Invalid hostPort: x' });
    assert.throws(() => parsePorts(['1.2.3:80:80'], []), { message: 'Invalid ip address: 1.2.3' });
    assert.throws(() => parsePorts(['::1:80:80'], []), { message: 'Invalid ip address ::1: address ::1:: too many colons in address' });
    assert.throws(() => parsePorts(['80/foo'], []), { message: 'Invalid proto: foo' });
    assert.throws(() => parsePorts(['80:'], []), { message: 'No port specified: 80:<empty>' });
    assert.throws(() => parsePorts(['1-3:1-2'], []), { message: 'Invalid ranges specified for container and host Ports: 1-2 and 1-3' });
    assert.throws(() => parsePorts(['target=80,bad'], []), { message: "invalid publish opts format (should be name=value but got 'bad')" });
    assert.throws(() => parsePorts([], ['1:2']), { message: 'invalid port format for --expose: 1:2' });
    assert.throws(() => parsePorts([], ['x']), { message: 'invalid range format for --expose: x, error: strconv.ParseUint: parsing "x": invalid syntax' });
    assert.throws(() => parsePorts([], ['5-1']), { message: 'invalid range format for --expose: 5-1, error: Invalid range specified for the Port: 5-1' });
  });
  it('splits protocol and port, and reads ranges', () => {
    assert.deepEqual(splitProtoPort('53/udp'), ['udp', '53']);
    assert.deepEqual(splitProtoPort('53/'), ['tcp', '53']);
    assert.deepEqual(splitProtoPort('/udp'), ['', '']);
    assert.deepEqual(parsePortRange('1-2-3'), [1, 2]);
    assert.throws(() => parsePortRange(''), { message: 'Empty string specified for ports.' });
  });
});
