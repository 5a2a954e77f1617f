/**
 * The decisive test of berth's run/create flag parser: for each command
 * line of a table, the real docker CLI 20.10 sends its
 * `POST /containers/create` to a fake Engine API on a unix socket (started
 * here: it answers /_ping as API 1.41 on Linux, image inspect, and the
 * create with a made-up ID), and berth's parser must produce the same body
 * and query — deep-equal. Command lines docker refuses must fail in berth
 * with the same text (berth for docker) and exit code.
 *
 * Two orders differ from run to run in docker itself and are compared as
 * sets: Env's -e part (the CLI passes -e through a Go map) and Binds (the
 * same). Everything the CLI might take from its own environment is pinned:
 * an empty DOCKER_CONFIG (no proxies), no DOCKER_DEFAULT_PLATFORM or
 * DOCKER_CONTENT_TRUST, and the same variables for docker and for berth.
 *
 * Everything lives in a temporary directory named berth-cli-create-*,
 * removed at the end; the server is closed.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRunError, parseRunArgv } from '../../src/cli/docker/run-options.js';
import { runInPty } from '../helpers/pty.js';
import { buildRunRequest } from '../../src/cli/docker/run-request.js';

/** docker.io's CLI; `docker` on PATH may be another version (it changes bodies and messages). */
function findDocker20(): { bin: string } | { reason: string } {
  const candidates = [process.env['BERTH_DOCKER_CLI'], '/usr/bin/docker'];
  try {
    candidates.push(execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim());
  } catch {
    // not on PATH
  }
  const seen: string[] = [];
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    try {
      const v = execFileSync(bin, ['--version'], { encoding: 'utf8' });
      if (/^Docker version 20\.10\./.test(v)) return { bin };
      seen.push(`${bin}: ${v.trim()}`);
    } catch {
      // not runnable
    }
  }
  return { reason: `needs the docker CLI 20.10 (docker.io)${seen.length ? `; found ${seen.join('; ')}` : ''}` };
}

const found = findDocker20();
const skip = 'reason' in found ? found.reason : false;
if (skip && process.env['CI']) throw new Error(`${skip}, which CI must provide`);
const DOCKER = 'bin' in found ? found.bin : 'docker';

const ID = 'b'.repeat(64);
let dir = '';
let server: Server | undefined;
let recorded: { query: Record<string, string>; body: any } | undefined;
/** The last create the server received (a function, so that TypeScript does not narrow it away). */
const lastCreate = (): typeof recorded => recorded;

/** Files the cases refer to, by name; their paths are under the temporary directory. */
const FILES: Record<string, string> = {
  'env.list': '\uFEFFA=from-file\r\n# a comment\n   SPACED=  kept as is  \nBARE_SET\nBARE_UNSET\nQUOTED="q"\n\nEMPTY=\n',
  'labels.list': 'com.example.a=1\nbare-label\n  com.example.b=x y\na=from-file\n',
  'seccomp.json': '{\n  "defaultAction" : "SCMP_ACT_ERRNO",\n  "n": 1.50, "s": "a\\u00e9 b",\n  "syscalls": [ { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" } ]\n}\n',
  'bad-key.env': 'GOOD=1\nBAD KEY=2\n',
  'odd.json': '{"a": -0, "a": 1E+2, "u": "\\u00E9\\/", "e": {}, "l": [ ] }',
  'bad1.json': '{"a" 1}',
  'bad2.json': 'trux',
  'bad3.json': '01',
  'bad4.json': '"a\nb"',
  'bad5.json': '',
  'bad6.json': '[1 2]',
  'bad7.json': '{1:2}',
  'bad8.json': '1.x',
  'bad9.json': '"a\\x"',
};
const path = (name: string): string => join(dir, name);

/** The CLI's environment: fixed, and shared with berth's parser. */
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    DOCKER_HOST: `unix://${path('docker.sock')}`,
    DOCKER_CONFIG: path('docker-config'),
    BARE_SET: 'from-env',
    SET_VAR: 'value from env',
    ...extra,
  };
}

function runDocker(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(DOCKER, args, { env, timeout: 20_000, cwd: dir }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stderr });
    });
  });
}

async function dockerInPty(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const r = await runInPty([DOCKER, ...args], { env, timeoutMs: 20_000 });
  // a terminal has one output: the warnings arrive on it with \r\n
  return { code: r.status ?? -1, stderr: r.stdout.replace(/\r\n/g, '\n') };
}

function startServer(): Promise<Server> {
  const srv = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname.endsWith('/_ping')) {
        res.writeHead(200, { 'Api-Version': '1.41', OSType: 'linux', 'Docker-Experimental': 'false', 'Content-Type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      if (req.method === 'GET' && /^\/v1\.41\/images\/.+\/json$/.test(url.pathname)) {
        json(200, { Id: `sha256:${'c'.repeat(64)}`, RepoTags: ['busybox:latest'], Os: 'linux', Architecture: 'amd64', Config: { Cmd: ['sh'] } });
        return;
      }
      if (req.method === 'POST' && url.pathname === '/v1.41/containers/create') {
        recorded = { query: Object.fromEntries(url.searchParams), body: JSON.parse(data) };
        json(201, { Id: ID, Warnings: [] });
        return;
      }
      if (req.method === 'POST' && url.pathname.endsWith('/start')) {
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'POST' && url.pathname.endsWith('/wait')) {
        json(200, { StatusCode: 0 });
        return;
      }
      json(404, { message: `berth fake engine: no ${req.method} ${url.pathname}` });
    });
  });
  return new Promise((resolve) => srv.listen(path('docker.sock'), () => resolve(srv)));
}

/** Docker's own orders that change between runs, compared as sets. */
function normalize(body: any): any {
  const copy = structuredClone(body);
  if (Array.isArray(copy.Env)) copy.Env.sort();
  if (Array.isArray(copy.HostConfig?.Binds)) copy.HostConfig.Binds.sort();
  return copy;
}

interface Case {
  argv: string[];
  command?: 'run' | 'create';
  env?: Record<string, string>;
  /** run docker on a terminal (docker run -t refuses a stdin that is not one) */
  pty?: boolean;
}

const f = (name: string): string => `@${name}`;
/** Replaces @file with the file's path in the temporary directory. */
const expand = (argv: string[]): string[] => argv.map((a) => a.replace(/@([\w.-]+)/g, (_m, n: string) => path(n)));

const CASES: Case[] = [
  { argv: ['busybox'] },
  { argv: ['busybox', 'ls', '-l', '--', '-x'] },
  { argv: ['--', 'busybox', 'sh'] },
  { argv: ['-it', '--rm', '--name', 'berth-t1', 'busybox', 'sh'] },
  { argv: ['-ite=A=b', '-c=5', '--rm=false', '-i=false', '-t=true', 'busybox'] },
  { argv: ['-e', 'A=1', '-e', 'SET_VAR', '-e', 'UNSET_VAR', '-e', 'A=2', '--env', 'B=', '--env-file', f('env.list'), 'busybox'] },
  { argv: ['-l', 'a=1', '-l', 'b', '--label-file', f('labels.list'), '--label', 'a=2', 'busybox'] },
  { argv: ['-m', '512m', '--memory-reservation', '256M', '--memory-swap', '-1', '--kernel-memory', '1g', '--shm-size=64mb', 'busybox'] },
  { argv: ['--memory', '1.5g', '--memory-swap', '3g', '--memory-swappiness', '10', 'busybox'] },
  { argv: ['--cpus', '1.5', '--cpu-shares', '512', '--cpu-quota', '50000', '--cpu-period', '0x186a0', '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '500', 'busybox'] },
  { argv: ['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=-1', '--ulimit', 'nproc=10', '--ulimit', 'nofile=4096', 'busybox'] },
  { argv: ['-v', '/data', '-v', '/h:/c:ro', '-v', 'vol:/v', '-v', './rel:/r', '-v', 'c:/foo', '-v', '/data', '--volumes-from', 'other:ro', '--volume-driver', 'local', 'busybox'] },
  {
    argv: [
      '--mount', 'type=bind,src=/a,dst=/b,readonly,bind-propagation=rshared',
      '--mount', 'type=volume,target=/v,volume-nocopy,volume-label=x=y,volume-driver=local,volume-opt=o=1',
      '--mount', 'target=/t,type=tmpfs,tmpfs-size=64m,tmpfs-mode=1777',
      '--mount', '"type=bind","source=/x,y",target=/z,ro=false,bind-nonrecursive=true',
      'busybox',
    ],
  },
  { argv: ['--tmpfs', '/run:rw,size=64m', '--tmpfs', '/x', 'busybox'] },
  { argv: ['--device', '/dev/fuse', '--device', '/dev/sda:/dev/xvda:r', '--device', '/dev/null:rw', '--device', '/dev/a/../b', '--device-cgroup-rule', 'c 1:3 mr', 'busybox'] },
  { argv: ['--restart', 'on-failure:3', 'busybox'] },
  { argv: ['--restart=', '--rm', 'busybox'] },
  { argv: ['--security-opt', `seccomp=${f('seccomp.json')}`, '--security-opt', 'label=disable', '--security-opt', 'no-new-privileges', '--security-opt', 'apparmor=unconfined', 'busybox'] },
  { argv: ['--security-opt', 'seccomp:unconfined', '--security-opt', 'systempaths=unconfined', '--security-opt', 'no-new-privileges:true', 'busybox'] },
  { argv: ['--security-opt', 'systempaths=unconfined', 'busybox'] },
  { argv: ['--stop-signal', 'SIGINT', '--stop-timeout', '5', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1000=2', 'busybox'] },
  { argv: ['--pids-limit', '100', '--oom-kill-disable', '--oom-score-adj', '-500', 'busybox'] },
  { argv: ['--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--privileged', '--read-only', '--init', 'busybox'] },
  { argv: ['--init=false', '--entrypoint', '', '-w', '/tmp', '-u', '1000:1000', '--hostname', 'h', '--domainname', 'd.example', 'busybox'] },
  { argv: ['--entrypoint', '/bin/sh', 'busybox', '-c', 'echo "hi there"'] },
  { argv: ['--network', 'none', '-h', 'box', 'busybox'] },
  { argv: ['--net=host', 'busybox'] },
  { argv: ['--network', 'container:abc', 'busybox'] },
  { argv: ['--network-alias', 'a', '--ip', '10.0.0.5', 'busybox'] },
  { argv: ['--network', 'mynet', '--network-alias', 'a', '--net-alias', 'b', '--ip', '10.0.0.5', '--ip6', '2001:db8::5', '--link', 'other:alias', '--link-local-ip', '169.254.1.1', 'busybox'] },
  { argv: ['--network', 'name=MyNet,alias=x,driver-opt=a=B', '--network', 'other', 'busybox'] },
  { argv: ['--runtime', 'runc', '--group-add', 'audio', '--group-add', '1000', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', 'busybox'] },
  { argv: ['-p', '80', '-p', '8080:80', '-p', '127.0.0.1::53/udp', '-p', '[::1]:90-91:90-91', '-p', '9000-9001:9000', '-p', 'published=5000,target=50', '--expose', '7000-7002', '--expose', '9/foo', '-P', 'busybox'] },
  { argv: ['--dns', '8.8.8.8', '--dns', '2001:0db8::0001', '--dns', '::ffff:1.2.3.4', '--dns-search', 'example.com.', '--dns-search', '.', '--dns-option', 'ndots:2', '--dns-opt', 'rotate', '--add-host', 'db:10.0.0.2', '--add-host', 'gw:host-gateway', 'busybox'] },
  { argv: ['--platform', 'linux/amd64', '--name', 'berth-x', 'busybox'] },
  { argv: ['--platform', 'arm64', 'busybox'] },
  { argv: ['--health-cmd', 'curl -f http://localhost/', '--health-interval', '30s', '--health-timeout', '1m30s', '--health-retries', '3', '--health-start-period', '500ms', 'busybox'] },
  { argv: ['--health-interval', '1.5h', 'busybox'] },
  { argv: ['--no-healthcheck', 'busybox'] },
  { argv: ['--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:200', '--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/sdb:10', '--device-read-iops', '/dev/sda:1000', '--device-write-iops', '/dev/sda:100', 'busybox'] },
  { argv: ['--ipc', 'host', '--pid', 'container:x', '--uts', 'host', '--userns', 'host', '--cgroupns', 'private', '--cgroup-parent', '/berth', '--isolation', 'default', 'busybox'] },
  { argv: ['--mac-address', '92:d0:c6:0a:29:33', '--cidfile', f('cid'), '--storage-opt', 'size=10G', '--pull', 'never', 'busybox'] },
  { argv: ['--gpus', 'all', '--gpus', 'driver=nvidia,"capabilities=compute,utility",options=a=b', 'busybox'] },
  { argv: ['-a', 'STDOUT', '-a', 'stdin', 'busybox'] },
  { argv: ['-d', '-i', '--sig-proxy=false', '--detach-keys', 'ctrl-x', 'busybox'], command: 'run' },
  { argv: ['-d', '--rm', '-t', '--name', 'berth-run', '--platform', 'linux', 'busybox', 'top'], command: 'run' },
  { argv: ['-i', '-e', 'A=1', '-e', 'B=2', '-e', 'C=3', '-e', 'D=4', 'busybox'], command: 'run' },
  { argv: ['-a', 'stdout', '-a', 'stderr', 'busybox', 'echo', 'hi'], command: 'run' },
  { argv: ['-it', '--rm', '--name', 'berth-pty', 'busybox', 'sh'], command: 'run', pty: true },
  { argv: ['busybox'], env: { DOCKER_DEFAULT_PLATFORM: 'linux/arm/v7' } },
  { argv: ['--stop-signal=', '--link', 'a:b', '-v', 'a::b', '--expose', '80', '-p', '80:80', '-m', '10 MiB', 'busybox'] },
  { argv: ['--gpus', '2', '--cap-add', 'ALL', '--log-opt', 'foo', '--restart', 'unless-stopped', '--oom-score-adj=-1000', 'busybox'] },
  { argv: ['--dns', '1:0:0:1:0:0:0:1', '--dns', '1:0:0:0:1:0:0:1', '--dns', '1:2:3:4:5:6:1.2.3.4', '--dns', '::0:1', '--dns', ' 10.0.0.1 ', '--mac-address', '92d0.c60a.2933', 'busybox'] },
  { argv: ['--cpus', '1e-3', '--cpu-shares', '017', '--cpu-quota', '1_000', '-m', '1.7b', '--memory-reservation', '0.5k', '--oom-score-adj', '+5', 'busybox'] },
  { argv: ['--cpus', '3/2', 'busybox'] },
  { argv: ['--cpus', '.25', '--health-interval', '.5s', '--health-timeout', '2µs', '--health-start-period', '1.s', 'busybox'] },
  { argv: ['--security-opt', `seccomp=${f('odd.json')}`, 'busybox'] },
  { argv: ['--tmpfs', '/a:ro', '--tmpfs', '/a:rw', '--sysctl', 'net.a=1', '--sysctl', 'net.a=2', '--label', 'x', '--env', 'UNSET_VAR', 'busybox'] },
];

interface ErrorCase {
  argv: string[];
  command?: 'run' | 'create';
}

const ERROR_CASES: ErrorCase[] = [
  { argv: [] },
  { argv: ['-m', 'x', 'busybox'] },
  { argv: ['--memory=1.2.3', 'busybox'] },
  { argv: ['--restart=foo:bar', 'busybox'] },
  { argv: ['--restart', 'a:b:c', 'busybox'] },
  { argv: ['--rm', '--restart', 'always', 'busybox'] },
  { argv: ['--bogus', 'busybox'] },
  { argv: ['-ix', 'busybox'] },
  { argv: ['--name'] },
  { argv: ['-m'] },
  { argv: ['---x', 'busybox'] },
  { argv: ['--rm=maybe', 'busybox'] },
  { argv: ['--cpu-count', '2', 'busybox'] },
  { argv: ['--cpus', 'abc', 'busybox'] },
  { argv: ['--cpus', '0.0000000001', 'busybox'] },
  { argv: ['--cpu-shares', '12abc', 'busybox'] },
  { argv: ['--blkio-weight', '70000', 'busybox'] },
  { argv: ['--ulimit', 'nofile=abc', 'busybox'] },
  { argv: ['--ulimit', 'nofile=2048:1024', 'busybox'] },
  { argv: ['--ulimit', 'bogus=1', 'busybox'] },
  { argv: ['--memory-swappiness', '101', 'busybox'] },
  { argv: ['--mount', 'type=bind', 'busybox'] },
  { argv: ['--mount', '', 'busybox'] },
  { argv: ['--mount', 'type=bind,src="a,target=/b', 'busybox'] },
  { argv: ['--mount', 'type=volume,target=/a,bind-propagation=shared', 'busybox'] },
  { argv: ['--security-opt', 'foo', 'busybox'] },
  { argv: ['--security-opt', 'seccomp=/nonexistent/berth-profile.json', 'busybox'] },
  { argv: ['--security-opt', `seccomp=${f('env.list')}`, 'busybox'] },
  { argv: ['--env-file', '/nonexistent/berth.env', 'busybox'] },
  { argv: ['--env-file', f('bad-key.env'), 'busybox'] },
  { argv: ['-e', '=x', 'busybox'] },
  { argv: ['-p', '99999', 'busybox'] },
  { argv: ['-p', '1.2.3:80:80', 'busybox'] },
  { argv: ['-p', '80/foo', 'busybox'] },
  { argv: ['--expose', '1:2', 'busybox'] },
  { argv: ['--expose', 'x', 'busybox'] },
  { argv: ['--network', 'host', '--network-alias', 'a', 'busybox'] },
  { argv: ['--network', 'a', '--network', 'host', 'busybox'] },
  { argv: ['--network', 'name=x,foo=y', 'busybox'] },
  { argv: ['--no-healthcheck', '--health-cmd', 'x', 'busybox'] },
  { argv: ['--health-interval', '-1s', '--health-cmd', 'x', 'busybox'] },
  { argv: ['--health-timeout', '5', 'busybox'] },
  { argv: ['--health-retries', '-1', 'busybox'] },
  { argv: ['--health-interval', '5', 'busybox'] },
  { argv: ['--health-interval', '5x', 'busybox'] },
  { argv: ['--health-interval', '.s', 'busybox'] },
  { argv: ['--health-interval', '3000000h', 'busybox'] },
  { argv: ['--mount', 'a,b"c', 'busybox'] },
  { argv: ['--mount', '"abc', 'busybox'] },
  { argv: ['--mount', '"a"b', 'busybox'] },
  ...['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6', 'bad7', 'bad8', 'bad9'].map((b) => ({ argv: ['--security-opt', `seccomp=${f(`${b}.json`)}`, 'busybox'] })),
  { argv: ['-p', '::1:80:80', 'busybox'] },
  { argv: ['-p', '[::1:80:80', 'busybox'] },
  { argv: ['--cpu-shares', '08', 'busybox'] },
  { argv: ['--cpu-shares', '1__0', 'busybox'] },
  { argv: ['--blkio-weight', '-1', 'busybox'] },
  { argv: ['--cpus', '1/0', 'busybox'] },
  { argv: ['--ulimit', 'nofile=-1:1024', 'busybox'] },
  { argv: ['--ulimit', 'nofile=1:2:3', 'busybox'] },
  { argv: ['--mac-address', '92:d0:c6-0a:29:33', 'busybox'] },
  { argv: ['--dns', '1::2::3', 'busybox'] },
  { argv: ['--dns', 'fe80::1%eth0', 'busybox'] },
  { argv: ['--gpus', 'count=x', 'busybox'] },
  { argv: ['--gpus', 'all,count=2', 'busybox'] },
  { argv: ['--device-read-bps', '/dev/sda:-1', 'busybox'] },
  { argv: ['--blkio-weight-device', '/dev/sda:5', 'busybox'] },
  { argv: ['--device-cgroup-rule', 'x 1:2 r', 'busybox'] },
  { argv: ['--link', 'a:b:c', 'busybox'] },
  { argv: ['--network', 'mynet', '--network', 'mynet', 'busybox'] },
  { argv: ['--network', 'name=a,alias=b', '--network-alias', 'c', 'busybox'] },
  { argv: ['--publish', 'target=80,bad', 'busybox'] },
  { argv: ['--device', 'relative', 'busybox'] },
  { argv: ['--device', '/dev/a:/dev/b:xyz', 'busybox'] },
  { argv: ['--log-driver', 'none', '--log-opt', 'a=b', 'busybox'] },
  { argv: ['--pid', 'foo', 'busybox'] },
  { argv: ['--cgroupns', 'foo', 'busybox'] },
  { argv: ['--dns', '1.2.3.04', 'busybox'] },
  { argv: ['--dns-search', '-bad-', 'busybox'] },
  { argv: ['--add-host', 'nohost', 'busybox'] },
  { argv: ['--sysctl', 'kernel.foo=1', 'busybox'] },
  { argv: ['--mac-address', 'zz', 'busybox'] },
  { argv: ['--storage-opt', 'size', 'busybox'] },
  { argv: ['--attach', 'stdlog', 'busybox'] },
  { argv: ['--label', ' =x', 'busybox'] },
  { argv: ['--platform', 'a b', 'busybox'] },
  { argv: ['--platform', 'a b', 'busybox'], command: 'run' },
  { argv: ['Busybox'] },
  { argv: ['Busybox'], command: 'run' },
  { argv: ['-d', '-a', 'stdout', 'busybox'], command: 'run' },
  { argv: ['-d', 'busybox'], command: 'create' },
];

/** What berth should print for docker's text: the same, with berth for docker. */
const asBerth = (text: string): string =>
  text
    .replace(/^docker: /gm, 'berth: ')
    .replace(/'docker (run|create) --help'/g, "'berth $1 --help'")
    .replace(/"docker (run|create)"/g, '"berth $1"')
    .replace(/Usage: {2}docker /g, 'Usage:  berth ');

describe('docker CLI 20.10 and berth send the same create request', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-create-'));
    mkdirSync(path('docker-config'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(path(name), text);
    server = await startServer();
  });

  after(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    const command = c.command ?? 'create';
    it(`${command} ${c.argv.join(' ')}`, async () => {
      const argv = expand(c.argv);
      const env = cliEnv(c.env);
      rmSync(path('cid'), { force: true });
      recorded = undefined;
      const result = c.pty ? await dockerInPty([command, ...argv], env) : await runDocker([command, ...argv], env);
      const sent = lastCreate();
      assert.ok(sent, `docker sent no create (exit ${result.code}): ${result.stderr}`);
      rmSync(path('cid'), { force: true });
      const parsed = parseRunArgv(argv, command);
      const mine = buildRunRequest(parsed.flags, parsed.image, parsed.args, { command, env });
      assert.deepEqual(normalize(mine.body), normalize(sent.body));
      assert.deepEqual(mine.query, sent.query);
      // what docker printed before its request: berth returns the same warnings
      const warnings = result.stderr.split('\n').filter((l) => l.startsWith('WARNING: '));
      assert.deepEqual(mine.client.warnings, warnings);
    });
  }

  for (const c of ERROR_CASES) {
    const command = c.command ?? 'create';
    it(`${command} ${c.argv.join(' ')} fails as docker fails`, async () => {
      const argv = expand(c.argv);
      const env = cliEnv();
      recorded = undefined;
      const result = await runDocker([command, ...argv], env);
      assert.equal(lastCreate(), undefined, 'docker sent a create');
      assert.notEqual(result.code, 0);
      let got: { text: string; exitCode: number } | undefined;
      try {
        const parsed = parseRunArgv(argv, command);
        buildRunRequest(parsed.flags, parsed.image, parsed.args, { command, env });
      } catch (err) {
        got = describeRunError(err, command);
      }
      assert.ok(got, 'berth accepted it');
      assert.equal(got.text, asBerth(result.stderr));
      assert.equal(got.exitCode, result.code);
    });
  }
});
