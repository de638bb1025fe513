import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure } from './debugger.js';
import { startZombie } from './test-targets.test-helper.js';

describe('classifyFailure', () => {
  const stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it('says the target exited when it is a zombie, not that ptrace is not permitted', async () => {
    const zombie = await startZombie();
    stops.push(zombie.stop);
    // What gdb (under debugpy's injector) prints for a target that exited under it.
    const err = classifyFailure('python', zombie.pid, 'ptrace: Operation not permitted.\n');
    expect(err).toMatchObject({ code: 'TARGET_EXITED', message: `process ${zombie.pid} exited during attach` });
  });

  it('still names a missing privilege for a running process', () => {
    expect(classifyFailure('gdb', process.pid, 'ptrace: Operation not permitted.\n')).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
