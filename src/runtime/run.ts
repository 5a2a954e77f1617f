import type { RuntimeContext } from './context.js';
import { createContainer, type CreateRequest } from './create.js';
import { forwardSignals } from './forward-signals.js';
import { decodeWaitStatus } from './hooks.js';
import { deleteContainer, startContainer } from './lifecycle.js';

export interface RunRequest extends Omit<CreateRequest, 'wait'> {
  detach: boolean;
}

/**
 * `run` = create + start. In the foreground berth-init stays as the app's
 * parent and reports its exit; the container is then deleted and its exit
 * code returned (128+n for a signal, as a shell reports it).
 */
export async function runContainer(ctx: RuntimeContext, req: RunRequest): Promise<number> {
  const { init } = await createContainer(ctx, { ...req, wait: !req.detach });
  if (req.detach) {
    await startContainer(ctx, req.id);
    return 0;
  }
  const stop = forwardSignals(() => init.pid);
  try {
    await startContainer(ctx, req.id);
    init.release();
    const { waitStatus } = await init.exited;
    return decodeWaitStatus(waitStatus);
  } finally {
    stop();
    await deleteContainer(ctx, req.id, true);
  }
}
