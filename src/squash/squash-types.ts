// Squash's vocabulary: a process that runs somewhere (a target), the runtime it is written in, a debugger
// that can attach to it, and the endpoint the IDE connects to. Shared by targets/, debuggers/, ide/, plank
// and squashctl; nothing here does I/O.

export type Runtime = 'go' | 'node' | 'python' | 'c' | 'java';

export type DebuggerName = 'dlv' | 'gdb' | 'nodejs' | 'python' | 'java';

/** What the IDE speaks to the endpoint. */
export type DebugProtocol = 'dlv' | 'gdb-remote' | 'cdp' | 'dap' | 'jdwp';

/** A process as /proc describes it (all from the host's point of view). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Resolved /proc/PID/exe, or '' when unreadable. */
  exe: string;
  cmdline: string[];
  /** /proc/PID/comm. */
  comm: string;
  uid: number;
  /** Namespace inodes (`readlink /proc/PID/ns/X` numbers): equal inodes mean a shared namespace. */
  namespaces: { pid?: number; net?: number; mnt?: number };
  /** The container runtime's ID when the process's cgroup path names one (containerd, CRI-O, Docker, runc). */
  containerId?: string;
  /** The PID as the process itself sees it, innermost PID namespace (NSpid in /proc/PID/status). */
  nsPid?: number;
}

/** The neutral endpoint record handed to IDEs (DESIGN.md): always loopback. */
export interface DebugEndpoint {
  runtime: Runtime;
  debugger: DebuggerName;
  protocol: DebugProtocol;
  host: string;
  port: number;
  /** Host PID of the debuggee. */
  pid: number;
  /** Source root inside the target (for path mapping), when known. */
  remoteRoot?: string;
  /** CDP only: the websocket URL of the inspector target (omitted when it could not be asked for). */
  websocketUrl?: string;
  /**
   * 'target': host:port is where the debugger listens inside the target's network namespace, not reachable
   * from where the endpoint was made (a plank in a Kubernetes pod: the port-forward goes to the target pod).
   * Absent: host:port is reachable from here.
   */
  namespace?: 'target';
}

/** A running attachment: the endpoint, and how to let go of the target (leaving it running). */
export interface AttachSession {
  endpoint: DebugEndpoint;
  /** Detaches the debugger and stops any relay; the target keeps running. Idempotent. */
  detach(): Promise<void>;
  /** Settles when the debugger side ended on its own (crashed, target exited). */
  ended: Promise<void>;
}
