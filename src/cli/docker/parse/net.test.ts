import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipString, isMAC, parseIP, splitHostPort } from './net.js';

const norm = (s: string): string | null => {
  const ip = parseIP(s);
  return ip ? ipString(ip) : null;
};

describe('net.ParseIP and IP.String', () => {
  it('reads IPv4 and IPv6 and prints them as Go does', () => {
    assert.equal(norm('8.8.8.8'), '8.8.8.8');
    assert.equal(norm('2001:0db8::0001'), '2001:db8::1');
    assert.equal(norm('::'), '::');
    assert.equal(norm('::1'), '::1');
    assert.equal(norm('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(norm('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
    assert.equal(norm('1:0:0:0:1:0:0:1'), '1::1:0:0:1');
    assert.equal(norm('fe80::1:2'), 'fe80::1:2');
    assert.equal(norm('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
    assert.equal(norm('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
    assert.equal(norm('::0:1'), '::1');
  });

  it('refuses what Go refuses', () => {
    for (const bad of ['1.2.3.04', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', 'fe80::1%eth0', 'x', '', ':1', '1:', '12345::']) {
      assert.equal(parseIP(bad), null, bad);
    }
  });
});

describe('net.SplitHostPort', () => {
  it("splits, and fails with Go's words", () => {
    assert.deepEqual(splitHostPort('127.0.0.1:'), { host: '127.0.0.1', port: '' });
    assert.deepEqual(splitHostPort('[::1]:'), { host: '::1', port: '' });
    assert.deepEqual(splitHostPort(':'), { host: '', port: '' });
    assert.deepEqual(splitHostPort('::1:'), { error: 'address ::1:: too many colons in address' });
    assert.deepEqual(splitHostPort('[::1:'), { error: "address [::1:: missing ']' in address" });
  });
});

describe('net.ParseMAC', () => {
  it('takes 6, 8 or 20 bytes with : - or . separators', () => {
    assert.equal(isMAC('92:d0:c6:0a:29:33'), true);
    assert.equal(isMAC('92-D0-C6-0A-29-33'), true);
    assert.equal(isMAC('92d0.c60a.2933'), true);
    assert.equal(isMAC('00:00:00:00:fe:80:00:00'), true);
    assert.equal(isMAC('92:d0:c6:0a:29'), false);
    assert.equal(isMAC('92:d0:c6-0a:29:33'), false);
    assert.equal(isMAC('zz:d0:c6:0a:29:33'), false);
  });
});
