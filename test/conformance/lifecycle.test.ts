/**
 * The lifecycle under berth-runtime and runc: the same commands must give
 * the same exit codes and the same state transitions (created → running →
 * stopped), and `state` must print the OCI state schema.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemasMissing, validateOci } from '../helpers/oci-schemas.js';
import { missing } from '../helpers/requirements.js';
import { cleanup, makeBundle, runtime, type RuntimeName } from '../helpers/bundle.js';

const runtimes: RuntimeName[] = missing('runc') ? ['berth'] : ['berth', 'runc'];

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The steps, each as [what was run, exit code, status afterwards]. */
async function lifecycle(name: RuntimeName): Promise<string[]> {
  const b = makeBundle(['sleep', '100']);
  const steps: string[] = [];
  const status = (): string => {
    const r = runtime(['state', b.id], { name });
    if (r.status !== 0) return 'gone';
    const state = JSON.parse(r.stdout) as Record<string, unknown>;
    if (!schemasMissing()) assert.deepEqual(validateOci('state-schema.json', state), [], `${name} state: ${r.stdout}`);
    return String(state['status']);
  };
  const step = (label: string, args: string[]): void => {
    const r = runtime(args, { name });
    steps.push(`${label}: exit ${r.status}, ${status()}`);
  };
  try {
    step('create', ['create', '--bundle', b.dir, b.id]);
    step('create again', ['create', '--bundle', b.dir, b.id]);
    step('kill 0 while created', ['kill', b.id, '0']);
    step('start', ['start', b.id]);
    step('start again', ['start', b.id]);
    step('delete while running', ['delete', b.id]);
    step('kill', ['kill', b.id, 'KILL']);
    await until(() => status() === 'stopped');
    steps.push(`after the kill: ${status()}`);
    step('kill when stopped', ['kill', b.id, 'KILL']);
    step('start when stopped', ['start', b.id]);
    step('delete', ['delete', b.id]);
    step('delete again', ['delete', b.id]);
    step('delete --force of nothing', ['delete', '--force', b.id]);
    step('state of nothing', ['state', b.id]);
    return steps;
  } finally {
    cleanup(b, name);
  }
}

describe('lifecycle conformance', { skip: missing('root', 'busybox') }, () => {
  const results = new Map<RuntimeName, string[]>();
  for (const name of runtimes) {
    it(`${name} goes created → running → stopped with runc's exit codes`, async () => {
      const steps = await lifecycle(name);
      results.set(name, steps);
      assert.deepEqual(steps, [
        'create: exit 0, created',
        'create again: exit 1, created',
        'kill 0 while created: exit 0, created',
        'start: exit 0, running',
        'start again: exit 1, running',
        'delete while running: exit 1, running',
        'kill: exit 0, stopped',
        'after the kill: stopped',
        'kill when stopped: exit 1, stopped',
        'start when stopped: exit 1, stopped',
        'delete: exit 0, gone',
        'delete again: exit 1, gone',
        'delete --force of nothing: exit 0, gone',
        'state of nothing: exit 1, gone',
      ]);
    });
  }
});
