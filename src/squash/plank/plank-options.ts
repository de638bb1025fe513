// plank's options: one schema for the type, the validation and `--help`. squashctl reuses the target and
// attach options so both tools spell and check them the same way.
import { LoopError } from '../../core/errors.js';
import { durationProblem, opt, type OptionDef, type OptionsOf } from '../../core/options-schema.js';
import { NETNS_RELAY_MODES } from '../relay/index.js';
import type { DebuggerName } from '../squash-types.js';
import { checkNamespaceName } from './target-namespace.js';

export const DEBUGGER_NAMES: readonly DebuggerName[] = ['dlv', 'gdb', 'nodejs', 'python', 'java'];
export const DEFAULT_TTL_MS = 3_600_000;
/** No plank holds a target for longer: a forgotten debugger is a ptrace'd (or open) production process. */
export const MAX_TTL_MS = 24 * 3_600_000;
export const MIN_TTL_MS = 1_000;
const TTL_BOUNDS = { min: MIN_TTL_MS, max: MAX_TTL_MS };
/** Attaching becomes a timer: 0 gave up at once, and past 24.8 days node fires it at once too. */
export const ATTACH_TIMEOUT_BOUNDS = { min: 1, max: 86_400_000 };
const TTL_RANGE = '1s to 24h';

const namespaceList = opt.stringList({ description: '', default: [], valueName: 'ns1,ns2', check: checkNamespaceName });
const debuggerEnum = opt.enumOf({ description: '', default: 'dlv', values: DEBUGGER_NAMES });

/** The options that say what to attach to and how; shared by plank and squashctl. */
export const attachOptionsSchema = {
  pid: { ...opt.integer({ description: 'host PID of the process to debug', default: 0, min: 1, valueName: 'pid' }), showDefault: 'none' },
  container: opt.string({
    description: "container ID (full, or a unique prefix of 4+ characters): debug the container's main process",
    default: '',
    valueName: 'id',
  }),
  debugger: {
    valueName: DEBUGGER_NAMES.join('|'),
    description: 'debugger to attach',
    default: undefined as DebuggerName | undefined,
    showDefault: "detected from the process's runtime",
    parse: (raw: unknown) => debuggerEnum.parse(raw),
  } satisfies OptionDef<DebuggerName | undefined>,
  ttl: opt.duration({
    description: `how long the plank holds the target before it detaches by itself (${TTL_RANGE}; every plank has a TTL, 0/off is refused)`,
    default: DEFAULT_TTL_MS,
    ...TTL_BOUNDS,
  }),
  port: { ...opt.integer({ description: "loopback port of the plank's relay, the endpoint your IDE connects to", default: 0, min: 0, max: 65535, valueName: 'port' }), showDefault: '0 = a free port' },
  timeout: opt.duration({ description: 'how long attaching may take (1ms to 24h)', default: 15_000, ...ATTACH_TIMEOUT_BOUNDS }),
};

export const plankOptionsSchema = {
  ...attachOptionsSchema,
  netnsRelay: opt.enumOf({
    description:
      "nodejs/python/java listen inside the target's network namespace: auto relays them out through an nsenter forwarder (needs CAP_SYS_ADMIN); " +
      "off enters nothing and reports the in-namespace port (endpoint namespace \"target\"), for a caller that port-forwards to the target pod",
    default: 'auto',
    values: NETNS_RELAY_MODES,
  }),
  allowNamespaces: {
    ...namespaceList,
    description:
      'Kubernetes namespaces the target may be in; the plank refuses any other before attaching (also $SQUASH_ALLOWED_NAMESPACES). ' +
      "The target's own service account namespace file wins over --target-namespace",
    default: undefined as string[] | undefined,
    showDefault: 'unset = any target (outside Kubernetes)',
  } satisfies OptionDef<string[] | undefined>,
  targetNamespace: opt.string({
    description: "the target's Kubernetes namespace, as the caller knows it (checked against the target's own when readable)",
    default: '',
    valueName: 'ns',
    check: checkNamespaceName,
  }),
  logLevel: opt.enumOf({ description: 'log level (logs are JSON lines on stderr)', default: 'info', values: ['debug', 'info', 'warn', 'error'] as const }),
};

export type AttachOptionValues = OptionsOf<typeof attachOptionsSchema>;
export type PlankOptions = OptionsOf<typeof plankOptionsSchema>;

/** What the schema cannot say alone: exactly one target; and the TTL and timeout within bounds again, for values that did not come through its parsers. Throws CONFIG_INVALID. */
export function checkAttachOptions(o: AttachOptionValues, { targetRequired = true } = {}): void {
  const problems: string[] = [];
  if (o.pid !== 0 && o.container !== '') problems.push('give either --pid or --container, not both');
  else if (targetRequired && o.pid === 0 && o.container === '') problems.push('say what to debug: --pid PID or --container ID');
  for (const problem of [durationProblem('--ttl', o.ttl, TTL_BOUNDS), durationProblem('--timeout', o.timeout, ATTACH_TIMEOUT_BOUNDS)]) if (problem) problems.push(problem);
  if (problems.length > 0) throw new LoopError('CONFIG_INVALID', problems.join('; '), { details: { problems } });
}
