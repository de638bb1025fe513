import { describe, expect, it } from 'vitest';
import { containerIdFromCgroup, parseCgroupFile } from './container-id.js';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const POD = 'pod8f4e2b1c-3d5a-4e6f-9a8b-7c6d5e4f3a2b';

describe('containerIdFromCgroup', () => {
  it.each([
    // [runtime and layout, /proc/PID/cgroup text, expected ID]
    ['containerd, cgroup v2, systemd driver', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8f4e2b1c_3d5a_4e6f_9a8b_7c6d5e4f3a2b.slice/cri-containerd-${ID}.scope\n`, ID],
    ['containerd, cgroup v1, cgroupfs driver', `12:memory:/kubepods/burstable/${POD}/${ID}\n11:cpu,cpuacct:/kubepods/burstable/${POD}/${ID}\n1:name=systemd:/kubepods/burstable/${POD}/${ID}\n`, ID],
    ['containerd, besteffort pod, v1 systemd driver', `4:pids:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${ID}.scope\n`, ID],
    ['CRI-O, cgroup v2', `0::/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope\n`, ID],
    ['CRI-O, cgroup v1', `10:devices:/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope\n1:name=systemd:/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope\n`, ID],
    ['CRI-O conmon is not in the container', `0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-${ID}.scope\n`, undefined],
    ['Docker, cgroup v1, cgroupfs', `13:name=systemd:/docker/${ID}\n4:memory:/docker/${ID}\n`, ID],
    ['Docker, cgroup v2, systemd', `0::/system.slice/docker-${ID}.scope\n`, ID],
    ['podman, cgroup v2', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container\n`, ID],
    ['runc, systemd cgroup manager', '0::/system.slice/runc-squash-test-1a2b.scope\n', 'squash-test-1a2b'],
    ['runc, default cgroupfs, hybrid v1+v2', '9:name=systemd:/squash-test-1a2b\n4:memory:/sandbox/abc/squash-test-1a2b\n0::/squash-test-1a2b\n', 'squash-test-1a2b'],
    ['runc, default cgroupfs, v2 only', '0::/my-service\n', 'my-service'],
    ['host process, cgroup v2 root', '0::/\n', undefined],
    ['host process in a systemd service', '0::/system.slice/ssh.service\n', undefined],
    ['login session', '0::/user.slice/user-1000.slice/session-3.scope\n', undefined],
    ['init', '0::/init.scope\n', undefined],
    ['sandbox cgroup on one v1 controller only', '9:name=systemd:/\n4:memory:/process_api/d78f91fbbadd7ad953fc5e9873927237\n0::/\n', undefined],
  ])('%s', (_name, text, expected) => {
    expect(containerIdFromCgroup(text)).toBe(expected);
  });

  it('takes the innermost ID when containers nest', () => {
    const inner = 'f'.repeat(64);
    expect(containerIdFromCgroup(`0::/kubepods/besteffort/${POD}/${ID}/docker/${inner}\n`)).toBe(inner);
  });
});

describe('parseCgroupFile', () => {
  it('splits hierarchy, controllers and a path that contains colons', () => {
    expect(parseCgroupFile('3:cpu,cpuacct:/a:b\n0::/\n')).toEqual([
      { hierarchy: 3, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
      { hierarchy: 0, controllers: [], path: '/' },
    ]);
  });
});
