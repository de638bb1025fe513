// How a host is written before a port: an IPv6 literal in brackets (`[::1]:8080`), anything else as it is.

/** `host`, bracketed when it is an IPv6 literal (`[::1]`), as a URL or `host:port` needs it. */
export function bracketHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `host` without the brackets a URL puts around an IPv6 literal (`[::1]` → `::1`), as sockets take it. */
export function unbracketHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `host:port`, with an IPv6 literal bracketed (`[::1]:8080`). */
export function formatHostPort(host: string, port: number | string): string {
  return `${bracketHost(host)}:${port}`;
}
