import { useEffect, useSyncExternalStore } from 'react';

/** The UI's URLs, which the gateway answers with the app shell: `/browse/<folder path>`, `/watch/<file id>` and `/deploys`. */
export type Route = { kind: 'browse'; path: string } | { kind: 'watch'; id: string } | { kind: 'deploys' } | { kind: 'unknown' };

export function parseRoute(pathname: string): Route {
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

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  window.scrollTo(0, 0);
}

export function useLocationPath(): string {
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
    () => location.pathname,
  );
}

/** A page's title, so history entries and tabs say where they lead. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Nebula` : 'Nebula';
  }, [title]);
}
