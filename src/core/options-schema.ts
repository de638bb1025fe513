// One schema per component's options: it yields the TypeScript type, the validation of config files and
// flags, and the `--help` text, so the three cannot drift apart.
// Precedence when resolving: defaults < config file < flags. Errors name the option, where it came from,
// the value and what was expected.
import { didYouMean } from './did-you-mean.js';
import { LoopError } from './errors.js';

export interface OptionDef<T> {
  /** Human name of the value in help, e.g. `host:port`. */
  valueName: string;
  description: string;
  default: T;
  /** Short flag letter, if any. */
  short?: string;
  /** Turns raw input (config file value or flag string) into T, or throws with what was expected. */
  parse(raw: unknown): T;
  /** The flag may be given several times; the occurrences arrive as an array. */
  repeatable?: boolean;
  /** Each flag occurrence may itself hold several values separated by commas (`--x a,b --x c`). */
  commaSeparated?: boolean;
  /** How the default reads in help. */
  showDefault?: string;
}

export type OptionsSchema = Record<string, OptionDef<unknown>>;
export type OptionsOf<S extends OptionsSchema> = { [K in keyof S]: S[K] extends OptionDef<infer T> ? T : never };

class ExpectedError extends Error {}
const expected = (what: string): never => {
  throw new ExpectedError(what);
};

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNITS_BYTES: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Example durations for error messages, one per unit; only those within an option's bounds are shown. */
const DURATION_EXAMPLES_MS = [500, 30_000, 300_000, 7_200_000, 7 * 86_400_000];

/**
 * What a duration option expects, for its error: examples of the syntax that are themselves valid values
 * (a TTL of at most 24h must not suggest 7d), and the bounds when it has any.
 */
export function expectedDuration(bounds: { min?: number; max?: number } = {}): string {
  const { min = 0, max = Infinity } = bounds;
  let examples = DURATION_EXAMPLES_MS.filter((ms) => ms >= min && ms <= max);
  // Bounds narrower than the examples: the bounds themselves are valid examples.
  if (examples.length === 0) examples = [min, ...(Number.isFinite(max) && max !== min ? [max] : [])];
  const shown = examples.map(formatDuration);
  const list = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : shown[0]!;
  // A bound of exactly a day reads as 24h, as limits are usually spoken of.
  const bound = (ms: number): string => (ms === 86_400_000 ? '24h' : formatDuration(ms));
  const range = Number.isFinite(max) ? ` from ${bound(min)} to ${bound(max)}` : min > 0 ? ` of at least ${bound(min)}` : '';
  return `a duration${range} such as ${list}`;
}

/**
 * Parses `250ms`, `30s`, `5m`, `2h`, `7d`, or a number of milliseconds, within `bounds` when given (a
 * duration that becomes a timer needs them: 0 fires at once, and node fires one past 24.8 days at once too).
 * Throws an `OptionProblem` saying what was expected.
 */
export function parseDuration(raw: unknown, bounds?: { min?: number; max?: number }): number {
  const m = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw) : null;
  const ms = typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 ? raw : m ? Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 'ms']!) : undefined;
  if (ms === undefined || ms < (bounds?.min ?? 0) || ms > (bounds?.max ?? Infinity)) return expected(expectedDuration(bounds));
  return ms;
}

/**
 * Why `ms`, given to `flag` without going through a parser (a caller's own options object), is outside
 * `bounds`: the sentence a flag's parser would have thrown. Undefined within them.
 */
export function durationProblem(flag: string, ms: number, bounds: { min: number; max: number }): string | undefined {
  return ms >= bounds.min && ms <= bounds.max ? undefined : `${flag}: got ${formatDuration(ms)}, expected ${expectedDuration(bounds)}`;
}

/** Parses `1024`, `64KiB`, `1MiB`, `16mb`. */
export function parseBytes(raw: unknown): number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  const m = typeof raw === 'string' ? /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(raw) : null;
  const unit = m ? UNITS_BYTES[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return expected('a size such as 1024, 64KiB or 16MiB');
  return Number(m[1]) * unit;
}

const toStringList = (raw: unknown): string[] => {
  if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw as string[];
  return expected('a list of strings');
};

/** Builders for option definitions. */
export const opt = {
  string(d: { description: string; default: string; valueName?: string; short?: string; showDefault?: string; check?: (v: string) => string | undefined }): OptionDef<string> {
    return {
      valueName: d.valueName ?? 'string',
      description: d.description,
      default: d.default,
      ...(d.short ? { short: d.short } : {}),
      ...(d.showDefault ? { showDefault: d.showDefault } : {}),
      parse(raw) {
        if (typeof raw !== 'string') return expected('a string');
        const problem = d.check?.(raw);
        return problem ? expected(problem) : raw;
      },
    };
  },
  integer(d: { description: string; default: number; min?: number; max?: number; valueName?: string }): OptionDef<number> {
    return {
      valueName: d.valueName ?? 'n',
      description: d.description,
      default: d.default,
      parse(raw) {
        const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
        const range = `an integer${d.min !== undefined ? ` >= ${d.min}` : ''}${d.max !== undefined ? ` and <= ${d.max}` : ''}`;
        if (typeof n !== 'number' || !Number.isInteger(n)) return expected(range);
        if ((d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) return expected(range);
        return n;
      },
    };
  },
  /** A duration; `min`/`max` are enforced, and shape the examples an error shows (each a valid value). */
  duration(d: { description: string; default: number; valueName?: string; min?: number; max?: number }): OptionDef<number> {
    const bounds = { ...(d.min !== undefined ? { min: d.min } : {}), ...(d.max !== undefined ? { max: d.max } : {}) };
    return { valueName: d.valueName ?? 'duration', description: d.description, default: d.default, parse: (raw) => parseDuration(raw, bounds), showDefault: formatDuration(d.default) };
  },
  bytes(d: { description: string; default: number }): OptionDef<number> {
    return { valueName: 'size', description: d.description, default: d.default, parse: parseBytes, showDefault: formatBytes(d.default) };
  },
  enumOf<T extends string>(d: { description: string; default: T; values: readonly T[] }): OptionDef<T> {
    return {
      valueName: d.values.join('|'),
      description: d.description,
      default: d.default,
      parse(raw) {
        return typeof raw === 'string' && (d.values as readonly string[]).includes(raw) ? (raw as T) : expected(`one of ${d.values.join(', ')}`);
      },
    };
  },
  /** An on/off switch: `--kube` on the command line (no value), `kube: true` in a config file. */
  flag(d: { description: string }): OptionDef<boolean> {
    return {
      valueName: '',
      description: d.description,
      default: false,
      showDefault: 'off',
      parse(raw) {
        if (typeof raw === 'boolean') return raw;
        if (raw === 'true' || raw === 'false') return raw === 'true';
        return expected('true or false');
      },
    };
  },
  /**
   * A list; as a flag either comma-separated or repeated. `commaSeparated: false` for items that may hold
   * commas themselves (regular expressions): then a flag or config string is one item. `check` judges each
   * item (its index is named in the error).
   */
  stringList(d: { description: string; default: string[]; valueName?: string; commaSeparated?: boolean; check?: (v: string) => string | undefined }): OptionDef<string[]> {
    const commaSeparated = d.commaSeparated ?? true;
    return {
      valueName: d.valueName ?? (commaSeparated ? 'a,b' : 'value'),
      description: d.description,
      default: d.default,
      repeatable: true,
      commaSeparated,
      showDefault: d.default.join(',') || 'none',
      parse(raw) {
        const list = commaSeparated || typeof raw !== 'string' ? toStringList(raw) : [raw];
        list.forEach((v, i) => {
          const problem = d.check?.(v);
          if (problem) expected(`[${i}] ${JSON.stringify(v)}: ${problem}`);
        });
        return list;
      },
    };
  },
  /** A map; in a config file an object, as a flag repeated `key=value`. `check` judges each entry. */
  stringMap(d: { description: string; default: Record<string, string>; valueName?: string; check?: (key: string, value: string) => string | undefined }): OptionDef<Record<string, string>> {
    const checked = (map: Record<string, string>): Record<string, string> => {
      for (const [key, value] of Object.entries(map)) {
        const problem = d.check?.(key, value);
        if (problem) expected(`${JSON.stringify(`${key}=${value}`)}: ${problem}`);
      }
      return map;
    };
    return {
      valueName: d.valueName ?? 'key=value',
      description: d.description,
      default: d.default,
      repeatable: true,
      showDefault: 'none',
      parse(raw) {
        if (Array.isArray(raw)) {
          const out: Record<string, string> = {};
          for (const item of raw) {
            const eq = typeof item === 'string' ? item.indexOf('=') : -1;
            if (eq <= 0) return expected('key=value');
            out[(item as string).slice(0, eq)] = (item as string).slice(eq + 1);
          }
          return checked(out);
        }
        if (raw && typeof raw === 'object' && Object.values(raw).every((v) => typeof v === 'string')) return checked({ ...(raw as Record<string, string>) });
        return expected('a map of strings (key=value)');
      },
    };
  },
};

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

/** `maxBodyBytes` → `--max-body-bytes`. */
export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export interface OptionsLayer {
  /** Where the values came from, for error messages: `loop.yaml`, `flags`. */
  source: string;
  values: Record<string, unknown>;
}

/**
 * Resolves the options: each layer overrides the ones before it. Unknown keys and bad values are all
 * reported together in one CONFIG_INVALID error; nothing is returned half-valid.
 */
export function resolveOptions<S extends OptionsSchema>(schema: S, layers: OptionsLayer[]): OptionsOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(schema)) out[key] = def.default;
  const problems: string[] = [];
  for (const layer of layers) {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (raw === undefined) continue;
      const def = schema[key];
      if (!def) {
        problems.push(`${layer.source}: unknown option "${key}"${suggest(key, Object.keys(schema))}`);
        continue;
      }
      try {
        out[key] = def.parse(raw);
      } catch (err) {
        const what = err instanceof ExpectedError ? err.message : String(err);
        // A flag names itself (--listen: …); a value from a file is named with the file.
        problems.push(`${layer.source === 'flags' ? flagName(key) : `${layer.source}: ${key}`}: got ${JSON.stringify(raw)}, expected ${what}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new LoopError('CONFIG_INVALID', problems.join('; '), { details: { problems } });
  }
  return out as OptionsOf<S>;
}

function suggest(word: string, choices: string[]): string {
  return didYouMean(word, choices) || `; known options: ${choices.join(', ')}`;
}

/** Help lines for each option, for commander's `.option()` and for the README's reference. */
export function describeOptions(schema: OptionsSchema): Array<{ key: string; flags: string; description: string }> {
  return Object.entries(schema).map(([key, def]) => {
    const shown = def.showDefault ?? (def.default === '' ? 'none' : JSON.stringify(def.default));
    const repeat = def.repeatable ? ' (repeatable)' : '';
    return {
      key,
      // A switch (empty valueName) takes no value on the command line.
      flags: `${def.short ? `-${def.short}, ` : ''}${flagName(key)}${def.valueName ? ` <${def.valueName}>` : ''}`,
      description: `${def.description}${repeat} (default: ${shown})`,
    };
  });
}
