// Container IDs from /proc/PID/cgroup. Every container runtime puts the container in a cgroup whose path
// names it, so the host can map a process to its container without asking the runtime (no CRI socket).
// Rules go from specific (64-hex IDs in the shapes containerd, CRI-O, Docker and podman write) to the
// generic runc one (a cgroup path whose last component is the container's name), which is only trusted on
// the unified / name=systemd hierarchy so that systemd units and sandbox cgroups are not taken for containers.

/** One line of /proc/PID/cgroup: `hierarchy-id:controllers:path` (v2: `0::path`). */
export interface CgroupLine {
  hierarchy: number;
  controllers: string[];
  path: string;
}

export function parseCgroupFile(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    // The path itself may contain ':' (rare, but legal), so split only twice.
    const first = raw.indexOf(':');
    const second = raw.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchy = Number(raw.slice(0, first));
    const controllers = raw.slice(first + 1, second);
    lines.push({
      hierarchy: Number.isInteger(hierarchy) ? hierarchy : -1,
      controllers: controllers === '' ? [] : controllers.split(','),
      path: raw.slice(second + 1),
    });
  }
  return lines;
}

const HEX64 = '[0-9a-f]{64}';
/**
 * Path components that carry a 64-hex container ID: containerd (`cri-containerd-<id>.scope`), CRI-O
 * (`crio-<id>.scope`), Docker (`docker-<id>.scope`, `/docker/<id>`), podman (`libpod-<id>.scope`) and
 * kubepods under cgroupfs (`/kubepods/burstable/pod…/<id>`).
 */
const HEX_COMPONENT = new RegExp(`^(?:(?:cri-containerd|crio|docker|libpod)-)?(${HEX64})(?:\\.scope)?$`);
/** Monitors that sit next to a container in its own cgroup but are not in it (conmon). */
const MONITOR_COMPONENT = /^(?:crio|libpod)-conmon-/;
/** runc with the systemd cgroup manager: `/system.slice/runc-<id>.scope`. */
const RUNC_SCOPE = /^runc-([\w+.-]+)\.scope$/;
/** runc's own rule for container IDs. */
const RUNC_ID = /^[\w+.-]+$/;
const SYSTEMD_UNIT = /\.(?:slice|scope|service|socket|mount|swap|target)$/;

/**
 * The container ID named by a process's cgroup lines, or undefined for a process that is not in a
 * container (as far as its cgroups tell).
 *
 * @example containerIdFromCgroup('0::/system.slice/docker-4f1c…e2.scope\n') // '4f1c…e2'
 */
export function containerIdFromCgroup(text: string): string | undefined {
  const lines = parseCgroupFile(text);
  // Innermost wins: Docker-in-Kubernetes nests one ID under another.
  for (const line of lines) {
    const id = hexIdOf(line.path);
    if (id) return id;
  }
  for (const line of lines) {
    const last = lastComponent(line.path);
    const m = last ? RUNC_SCOPE.exec(last) : null;
    if (m?.[1]) return m[1];
  }
  // runc's default cgroupfs path is `<parent>/<id>`. Only the hierarchies runc always manages are
  // trusted here; other v1 controllers may hold a sandbox's own cgroup around every process.
  const trusted = lines.filter((l) => l.hierarchy === 0 || l.controllers.includes('name=systemd'));
  for (const line of trusted) {
    const last = lastComponent(line.path);
    if (last && RUNC_ID.test(last) && !SYSTEMD_UNIT.test(last) && !last.startsWith('.')) return last;
  }
  return undefined;
}

function hexIdOf(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (MONITOR_COMPONENT.test(part)) return undefined;
    const m = HEX_COMPONENT.exec(part);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

function lastComponent(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1];
}
