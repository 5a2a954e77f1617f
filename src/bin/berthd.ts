import { parseArgs } from 'node:util';
import { startDaemon } from '../api/serve.js';
import { EngineError } from '../errors/engine-error.js';
import { exposeGc, IdleCollector } from '../lib/idle-gc.js';
import { addon } from '../sys/addon.js';

// Before the thread pool starts: moving a process into its cgroups writes to a dozen
// hierarchies at once (see CgroupManager.joinAsync), and four threads would queue them.
// (Not in berth-runtime: a one-shot process pays ~15 ms to start sixteen threads.)
process.env['UV_THREADPOOL_SIZE'] ??= '16';

const USAGE = `Usage: berthd [--data-root DIR] [--exec-root DIR] [-H unix:///path/to.sock] [--debug]

  --data-root   persistent state (default /var/lib/berth)
  --exec-root   runtime state: bundles, monitor sockets (default /run/berth)
  -H, --host    the API socket (default unix:///run/berth/berth.sock)
  -D, --debug   log every request
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-root': { type: 'string', default: process.env['BERTH_DATA_ROOT'] ?? '/var/lib/berth' },
      'exec-root': { type: 'string', default: process.env['BERTH_EXEC_ROOT'] ?? '/run/berth' },
      host: { type: 'string', short: 'H' },
      debug: { type: 'boolean', short: 'D', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (process.getuid?.() !== 0) throw new EngineError('Forbidden', 'NOT_ROOT', 'berthd must run as root', { hint: 'run it with sudo' });
  const execRoot = values['exec-root']!;
  const host = values.host ?? process.env['BERTH_HOST'] ?? `unix://${execRoot}/berth.sock`;
  if (!host.startsWith('unix://')) throw new EngineError('InvalidArgument', 'BAD_HOST', `-H ${host}: berthd listens on unix sockets only`, { hint: 'give unix:///path/to.sock' });
  // the memory of a burst of requests goes back once berthd has been idle a few seconds;
  // gc() is made on first use (it takes a V8 context)
  let gc: (() => void) | null | undefined;
  const collect = (): void => {
    if (gc === undefined) gc = exposeGc() ?? null;
    gc?.();
    try {
      addon().mallocTrim(); // what the collection freed in glibc's heaps (~6 MB after a mixed burst)
    } catch {
      // no addon: the heaps keep it
    }
  };
  const collector = new IdleCollector(collect);
  const daemon = await startDaemon({ dataRoot: values['data-root']!, runRoot: execRoot, socketPath: host.slice('unix://'.length), debug: values.debug === true, onActivity: () => collector.touch() });
  collector.touch(); // the start-up's own garbage: recovery, the first compilations
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    collector.stop();
    // containers keep running under their shims: only the API and the watches go
    void daemon.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stderr.write(`berthd: API listening on ${host}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${err instanceof EngineError ? err.describe() : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
