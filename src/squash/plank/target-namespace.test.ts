import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProcRoot } from '../targets/proc-fixture.test-helper.js';
import { checkTargetNamespace, SERVICE_ACCOUNT_NAMESPACE_FILE } from './target-namespace.js';

// PID 10 runs in a pod of namespace prod (its token mount says so); PID 20 is not in a pod.
const IN_PROD = 10;
const NO_FILE = 20;

describe('which namespaces a plank may debug in, on a /proc fixture', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    proc = await makeProcRoot([{ pid: IN_PROD, cmdline: ['node', 'a.js'] }, { pid: NO_FILE, cmdline: ['node', 'b.js'] }]);
    const file = join(proc.root, String(IN_PROD), 'root', SERVICE_ACCOUNT_NAMESPACE_FILE);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, 'prod'); // as the kubelet writes it: no newline
  });
  afterAll(() => proc.remove());
  const check = (pid: number, allow: string[] | undefined, claimed: string) => checkTargetNamespace(pid, { allow, claimed }, proc.root);

  it.each([
    // pid, allowlist, --target-namespace, → namespace judged (allowed)
    [IN_PROD, undefined, '', undefined], // no policy and no claim: nothing to check, nothing read
    [NO_FILE, undefined, '', undefined],
    [NO_FILE, undefined, 'dev', 'dev'],
    [IN_PROD, ['prod'], '', 'prod'],
    [IN_PROD, ['dev', 'prod'], 'prod', 'prod'],
    [NO_FILE, ['dev'], 'dev', 'dev'],
  ] as const)('pid %i, allow %j, claim %j → allowed in %j', async (pid, allow, claimed, namespace) => {
    await expect(check(pid, allow ? [...allow] : undefined, claimed)).resolves.toBe(namespace);
  });

  it.each([
    ['the file names a namespace off the list', IN_PROD, ['dev'], '', /process 10 is in namespace prod, which planks may not debug; allowed namespaces: dev$/],
    ['the file wins over a claim on the list', IN_PROD, ['dev'], 'dev', /process 10 is in namespace prod, not dev as --target-namespace says/],
    ['a mismatched claim is refused even without a list', IN_PROD, undefined, 'dev', /not dev as --target-namespace says/],
    ['a claim off the list, no file', NO_FILE, ['prod'], 'default', /process 20 is in namespace default, which planks may not debug; allowed namespaces: prod$/],
    ['neither file nor claim: cannot tell', NO_FILE, ['prod'], '', /cannot tell the namespace of process 20 .*allowed namespaces: prod$/],
    ['an empty list allows nothing', IN_PROD, [], 'prod', /namespace prod, which planks may not debug/],
  ] as const)('refuses when %s', async (_why, pid, allow, claimed, message) => {
    await expect(check(pid, allow ? [...allow] : undefined, claimed)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(message) });
  });
});
