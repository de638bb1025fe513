// The UI's own addresses under /ui/ (the server answers every one of them with index.html).

export type Route =
  | { view: 'captures'; search: string }
  | { view: 'capture'; id: number }
  | { view: 'tapconfigs' }
  | { view: 'not-found'; path: string };

export const BASE = '/ui/';

export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/+/, '');
  const parts = rest.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'captures')) return { view: 'captures', search: search.replace(/^\?/, '') };
  if (parts.length === 2 && parts[0] === 'captures' && /^\d{1,15}$/.test(parts[1]!) && Number(parts[1]) > 0) return { view: 'capture', id: Number(parts[1]) };
  if (parts.length === 1 && parts[0] === 'tapconfigs') return { view: 'tapconfigs' };
  return { view: 'not-found', path: pathname };
}

export function hrefFor(route: Route): string {
  switch (route.view) {
    case 'captures':
      return route.search ? `${BASE}?${route.search}` : BASE;
    case 'capture':
      return `${BASE}captures/${route.id}`;
    case 'tapconfigs':
      return `${BASE}tapconfigs`;
    case 'not-found':
      return route.path;
  }
}
