import { useEffect, useSyncExternalStore } from 'react';

/**
 * The UI's URLs, which the gateway answers with the app shell (server/src/web/web-routes.ts):
 * `/browse/<folder path>`, `/watch/<file id>`, `/search?q=<words>`, `/server` and `/deploys`.
 */
export type Route =
  | { kind: 'browse'; path: string }
  | { kind: 'watch'; id: string }
  | { kind: 'search'; q: string }
  | { kind: 'server' }
  | { kind: 'deploys' }
  | { kind: 'unknown' };

/** `location` is a path with its query, as useLocation gives it. */
export function parseRoute(location: string): Route {
  const cut = location.indexOf('?');
  const pathname = cut === -1 ? location : location.slice(0, cut);
  if (pathname === '/search' || pathname === '/search/') return { kind: 'search', q: new URLSearchParams(cut === -1 ? '' : location.slice(cut)).get('q') ?? '' };
  if (pathname === '/server' || pathname === '/server/') return { kind: 'server' };
  if (pathname === '/' || pathname === '/browse' || pathname === '/browse/') return { kind: 'browse', path: '/' };
  if (pathname.startsWith('/browse/')) {
    const segments = pathname.slice('/browse/'.length).split('/').filter(Boolean).map(safeDecode);
    return { kind: 'browse', path: `/${segments.join('/')}` };
  }
  if (pathname === '/deploys' || pathname === '/deploys/') return { kind: 'deploys' };
  const watch = /^\/watch\/([^/]+)\/?$/.exec(pathname);
  if (watch) return { kind: 'watch', id: safeDecode(watch[1]!) };
  return { kind: 'unknown' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function folderUrl(path: string): string {
  const segments = path.split('/').filter(Boolean);
  return segments.length === 0 ? '/' : `/browse/${segments.map(encodeURIComponent).join('/')}`;
}

export const watchUrl = (id: string) => `/watch/${encodeURIComponent(id)}`;

export const searchUrl = (q: string) => `/search?${new URLSearchParams({ q })}`;

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  window.scrollTo(0, 0);
}

/** The location's path and query ("/search?q=beach"): what the app shows, and changes with navigate(). */
export function useLocation(): string {
  return useSyncExternalStore(
    (listener) => {
      // Back and forward are listened to while something shows the location, not from import on.
      if (listeners.size === 0) window.addEventListener('popstate', notify);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) window.removeEventListener('popstate', notify);
      };
    },
    () => location.pathname + location.search,
  );
}

/** A page's title, so history entries and tabs say where they lead. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Nebula` : 'Nebula';
  }, [title]);
}
