import { useEffect, useRef, useState } from 'react';
import { api } from './api';
import { FolderPage } from './browse/folder-page';
import { DeploysPage } from './deploys/deploys-page';
import { useConnection } from './events';
import { Link } from './link';
import { parseRoute, useLocation } from './routes';
import { SearchBox } from './search/search-box';
import { SearchPage } from './search/search-page';
import { ServerMenu } from './server/server-menu';
import { ServerPage } from './server/server-page';
import { UploadPanel } from './uploads/upload-panel';
import { WatchPage } from './watch/watch-page';

export function App() {
  const path = useLocation();
  const route = parseRoute(path);
  const content = useRef<HTMLDivElement>(null);
  const shownPath = useRef(path);

  // After moving to another page, keyboard and screen reader users start at its content, not at the
  // link that was clicked (it is gone) or at the top of the document.
  useEffect(() => {
    if (path !== shownPath.current) content.current?.focus({ preventScroll: true });
    shownPath.current = path;
  }, [path]);

  // Files dropped anywhere but on a folder would make the browser open them in place of the app.
  useEffect(() => {
    const keep = (event: DragEvent) => {
      if (event.dataTransfer?.types.includes('Files') && !event.defaultPrevented) {
        event.preventDefault();
        if (event.type === 'dragover') event.dataTransfer.dropEffect = 'none';
      }
    };
    window.addEventListener('dragover', keep);
    window.addEventListener('drop', keep);
    return () => {
      window.removeEventListener('dragover', keep);
      window.removeEventListener('drop', keep);
    };
  }, []);

  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <Header search={route.kind === 'search' ? route.q : null} />
      <div id="content" className="layout" ref={content} tabIndex={-1}>
        {route.kind === 'browse' ? (
          <FolderPage key={route.path} path={route.path} />
        ) : route.kind === 'watch' ? (
          <WatchPage key={route.id} id={route.id} />
        ) : route.kind === 'search' ? (
          <SearchPage key={route.q} q={route.q} />
        ) : route.kind === 'server' ? (
          <ServerPage />
        ) : route.kind === 'deploys' ? (
          <DeploysPage />
        ) : (
          <main className="page state">
            <h2>There is no page here</h2>
            <p>
              <Link href="/">Go to All files</Link>
            </p>
          </main>
        )}
        <UploadPanel />
      </div>
    </>
  );
}

/** `search`: the words of the results page on screen, if it is one. */
function Header({ search }: { search: string | null }) {
  const [user, setUser] = useState<string | null>(null);
  const connection = useConnection();
  useEffect(() => {
    void api.me().then(setUser);
  }, []);
  return (
    <header className="header">
      <Link href="/" className="brand">
        Nebula
      </Link>
      <nav aria-label="Sections" className="sections">
        <Link href="/">Files</Link>
      </nav>
      <SearchBox current={search} />
      <span className={`connection connection-${connection}`} role="status" title="Live updates from the server">
        {connection === 'live' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </span>
      {user && (
        <span className="user" title="Your tailnet identity">
          {user}
        </span>
      )}
      <ServerMenu />
    </header>
  );
}
