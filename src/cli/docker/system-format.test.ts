import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ansicTime, clientInfoText, diskUsageRows, diskUsageText, diskUsageVerbose, serverInfoText, versionText, type DiskUsageView } from './system-format.js';

describe('docker info printout', () => {
  const info = {
    ID: 'id-1',
    Containers: 3,
    ContainersRunning: 1,
    ContainersPaused: 1,
    ContainersStopped: 1,
    Images: 2,
    ServerVersion: '0.1.0',
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs'] as [string, string]],
    Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['json-file'] },
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: '1',
    Swarm: { LocalNodeState: 'inactive' },
    Runtimes: { runc: {}, berth: {} },
    DefaultRuntime: 'berth',
    InitBinary: 'berth-reaper',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '0.1.0' },
    InitCommit: { ID: '0.1.0' },
    SecurityOptions: ['name=seccomp,profile=default', 'name=cgroupns'],
    KernelVersion: '6.1.0',
    OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    OSType: 'linux',
    Architecture: 'x86_64',
    NCPU: 2,
    MemTotal: 25276510208,
    Name: 'host',
    DockerRootDir: '/var/lib/berth',
    Debug: false,
    Labels: [],
    ExperimentalBuild: false,
    LiveRestoreEnabled: true,
    Warnings: ['WARNING: No swap limit support'],
  };

  it("the client's part", () => {
    assert.equal(clientInfoText({ Version: '0.1.0', Context: 'default', Debug: false }), 'Client:\n Version:    0.1.0\n Context:    default\n Debug Mode: false\n');
  });

  it("the server's part in docker 28's order, warnings apart", () => {
    const { out, warnings } = serverInfoText(info);
    assert.equal(
      out,
      [
        ' Containers: 3',
        '  Running: 1',
        '  Paused: 1',
        '  Stopped: 1',
        ' Images: 2',
        ' Server Version: 0.1.0',
        ' Storage Driver: overlay2',
        '  Backing Filesystem: extfs',
        ' Logging Driver: json-file',
        ' Cgroup Driver: cgroupfs',
        ' Cgroup Version: 1',
        ' Plugins:',
        '  Volume: local',
        '  Network: host null',
        '  Log: json-file',
        ' Swarm: inactive',
        ' Runtimes: berth runc',
        ' Default Runtime: berth',
        ' Init Binary: berth-reaper',
        ' containerd version: ',
        ' runc version: 0.1.0',
        ' init version: 0.1.0',
        ' Security Options:',
        '  seccomp',
        '   Profile: default',
        '  cgroupns',
        ' Kernel Version: 6.1.0',
        ' Operating System: Debian GNU/Linux 12 (bookworm)',
        ' OSType: linux',
        ' Architecture: x86_64',
        ' CPUs: 2',
        ' Total Memory: 23.54GiB',
        ' Name: host',
        ' ID: id-1',
        ' Docker Root Dir: /var/lib/berth',
        ' Debug Mode: false',
        ' Experimental: false',
        ' Live Restore Enabled: true',
        '',
        '',
      ].join('\n'),
    );
    assert.deepEqual(warnings, ['WARNING: No swap limit support']);
  });

  it('debug details, labels and insecure registries when there are some', () => {
    const { out } = serverInfoText({ ...info, Debug: true, NFd: 12, NGoroutines: 3, SystemTime: 't', NEventsListener: 2, Labels: ['a=b'], RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: { 'docker.io': { Name: 'docker.io', Secure: true } } } });
    assert.match(out, / Debug Mode: true\n {2}File Descriptors: 12\n {2}Goroutines: 3\n {2}System Time: t\n {2}EventsListeners: 2\n/);
    assert.match(out, / Labels:\n {2}a=b\n Experimental: false\n Insecure Registries:\n {2}127.0.0.0\/8\n/);
  });
});

describe('docker version printout', () => {
  const client = { Version: '0.1.0', ApiVersion: '1.41', DefaultAPIVersion: '1.47', GitCommit: '', GoVersion: 'node v20', Os: 'linux', Arch: 'amd64', BuildTime: '', Context: 'default' };
  it('client and server sections, columns at 20, a downgraded API said so', () => {
    const text = versionText(client, {
      Platform: { Name: 'berth' },
      Components: [
        { Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.47', MinAPIVersion: '1.24', GoVersion: 'node v20', GitCommit: 'abc', BuildTime: '2026-05-07T21:09:36.000000000+00:00', Os: 'linux', Arch: 'amd64', Experimental: 'false' } },
        { Name: 'runc', Version: '1.1.5', Details: { GitCommit: 'x', Another: 'y' } },
      ],
    });
    assert.equal(
      text,
      [
        'Client:',
        ' Version:           0.1.0',
        ' API version:       1.41 (downgraded from 1.47)',
        ' Go version:        node v20',
        ' Git commit:        ',
        ' Built:             ',
        ' OS/Arch:           linux/amd64',
        ' Context:           default',
        '',
        'Server: berth',
        ' Engine:',
        '  Version:          0.1.0',
        '  API version:      1.47 (minimum version 1.24)',
        '  Go version:       node v20',
        '  Git commit:       abc',
        '  Built:            Thu May  7 21:09:36 2026',
        '  OS/Arch:          linux/amd64',
        '  Experimental:     false',
        ' runc:',
        '  Version:          1.1.5',
        '  Another:          y',
        '  GitCommit:        x',
        '',
      ].join('\n'),
    );
  });
  it('build times that are not RFC 3339 stay as they are', () => {
    assert.equal(ansicTime(''), '');
    assert.equal(ansicTime('2025-05-30T12:07:14Z'), 'Fri May 30 12:07:14 2025');
  });
});

describe('docker system df printout', () => {
  const now = Date.parse('2026-11-22T20:00:00Z');
  const df: DiskUsageView = {
    LayersSize: 2_000_000,
    Images: [
      { Id: `sha256:${'a'.repeat(64)}`, RepoTags: ['busybox:latest', 'bb:1'], Created: now / 1000 - 120, Size: 1_984_172, SharedSize: 0, Containers: 2 },
      { Id: `sha256:${'b'.repeat(64)}`, RepoTags: ['<none>:<none>'], Created: now / 1000 - 60, Size: 15_828, SharedSize: 0, Containers: 0 },
    ],
    Containers: [
      { Id: 'c'.repeat(64), Names: ['/bth-run'], Image: 'busybox', Command: "sh -c 'echo hi > /data/x; sleep 1000'", Created: now / 1000 - 1, State: 'running', Status: 'Up 1 second', SizeRw: 102_400, Mounts: [{ Type: 'volume', Name: 'v', Driver: 'local' }] },
      { Id: 'd'.repeat(64), Names: ['/bth-old'], Image: 'busybox', Command: 'true', Created: now / 1000 - 30, State: 'exited', Status: 'Exited (0) 5 seconds ago', SizeRw: 25_600 },
    ],
    Volumes: [
      { Name: 'v', UsageData: { RefCount: 1, Size: 3 } },
      { Name: 'w', UsageData: { RefCount: 0, Size: 97 } },
    ],
    BuildCache: [],
  };

  it('the summary: totals, active ones, what could go', () => {
    assert.deepEqual(diskUsageRows(df), [
      { Type: 'Images', TotalCount: '2', Active: '1', Size: '2MB', Reclaimable: '15.83kB (0%)' },
      { Type: 'Containers', TotalCount: '2', Active: '1', Size: '128kB', Reclaimable: '25.6kB (20%)' },
      { Type: 'Local Volumes', TotalCount: '2', Active: '1', Size: '100B', Reclaimable: '97B (97%)' },
      { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
    ]);
    assert.match(diskUsageText(df), /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages {10}2 {9}1 {9}2MB {7}15\.83kB \(0%\)\n/);
    assert.equal(diskUsageText(df, 'json').split('\n')[0], '{"Active":"1","Reclaimable":"15.83kB (0%)","Size":"2MB","TotalCount":"2","Type":"Images"}');
    assert.equal(diskUsageText(df, '{{.Type}}={{.Size}}'), 'Images=2MB\nContainers=128kB\nLocal Volumes=100B\nBuild Cache=0B\n');
  });

  it('-v: a table for each kind, the first tag of an image only', () => {
    const text = diskUsageVerbose(df, now);
    assert.equal(
      text,
      [
        'Images space usage:',
        '',
        'REPOSITORY   TAG       IMAGE ID       CREATED              SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS',
        'busybox      latest    aaaaaaaaaaaa   2 minutes ago        1.98MB    0B            1.984MB       2',
        '<none>       <none>    bbbbbbbbbbbb   About a minute ago   15.8kB    0B            15.83kB       0',
        '',
        'Containers space usage:',
        '',
        'CONTAINER ID   IMAGE     COMMAND                  LOCAL VOLUMES   SIZE      CREATED          STATUS                     NAMES',
        `cccccccccccc   busybox   "sh -c 'echo hi > /d…"   1               102kB     1 second ago     Up 1 second                bth-run`,
        'dddddddddddd   busybox   "true"                   0               25.6kB    30 seconds ago   Exited (0) 5 seconds ago   bth-old',
        '',
        'Local Volumes space usage:',
        '',
        'VOLUME NAME   LINKS     SIZE',
        'v             1         3B',
        'w             0         97B',
        '',
        'Build cache usage: 0B',
        '',
        'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED',
        '',
      ].join('\n'),
    );
  });
});
