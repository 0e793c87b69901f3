import { Link } from '../link';
import { folderUrl } from '../routes';

/** Every folder from the top down to `path`; the last one is where we are. */
export function Breadcrumbs({ path, current = true }: { path: string; current?: boolean }) {
  const segments = path.split('/').filter(Boolean);
  const crumbs = [{ name: 'All files', path: '/' }, ...segments.map((name, i) => ({ name, path: `/${segments.slice(0, i + 1).join('/')}` }))];
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        {crumbs.map((crumb, i) => (
          <li key={crumb.path}>
            {current && i === crumbs.length - 1 ? (
              <span aria-current="page">{crumb.name}</span>
            ) : (
              <Link href={folderUrl(crumb.path)}>{crumb.name}</Link>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
