// Lua table constructors from plain data, for nvim-dap snippets. Strings are always double-quoted with
// every byte that could end or bend the literal escaped, so any path or name is safe to paste.

export type LuaValue = string | number | boolean | LuaValue[] | { [key: string]: LuaValue | undefined };

const LUA_KEYWORDS = new Set(
  'and break do else elseif end false for function goto if in local nil not or repeat return then true until while'.split(' '),
);

/** A Lua string literal for `value`: `\\`, `"`, and control characters become escapes. */
export function luaString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Three digits always: `\1` followed by a digit would read as a different byte.
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, '0')}`;
    else out += ch; // UTF-8 passes through: Lua strings are bytes and Neovim reads sources as UTF-8.
  }
  return `${out}"`;
}

function luaKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !LUA_KEYWORDS.has(key) ? key : `[${luaString(key)}]`;
}

/** A Lua expression for `value`, tables spread over lines indented by two spaces per level. */
export function luaLiteral(value: LuaValue, depth = 0): string {
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as a Lua number`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  const entries = Array.isArray(value)
    ? value.map((item) => luaLiteral(item, depth + 1))
    : Object.entries(value)
        .filter((entry): entry is [string, LuaValue] => entry[1] !== undefined)
        .map(([key, item]) => `${luaKey(key)} = ${luaLiteral(item, depth + 1)}`);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map((entry) => `${pad}${entry},`).join('\n')}\n${close}}`;
}
