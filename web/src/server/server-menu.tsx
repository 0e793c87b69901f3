import { useEffect, useState } from 'react';
import { api } from '../api';
import { Link } from '../link';
import { useMenuButton } from '../menu-button';
import type { HealthReport, VersionDto } from '@nebula/contract';
import { healthSummary, versionSummary } from './server-facts';

/**
 * The Server menu in the header: how the server is (GET /api/health), what version runs
 * (GET /api/version), and the deploy history. A menu button (WAI-ARIA APG "menu button" pattern,
 * as the player's quality menu): arrows, Home and End move, Enter or Space opens the item, Escape
 * closes and gives focus back. Health is asked when the menu opens, not on every page.
 */
export function ServerMenu() {
  const [health, setHealth] = useState<HealthReport | string | null>(null);
  const [version, setVersion] = useState<VersionDto | null>(null);

  const entries = [
    { href: '/server', label: 'Health', detail: health === null ? 'Checking…' : typeof health === 'string' ? health : healthSummary(health) },
    { href: '/server', label: 'Version', detail: version ? versionSummary(version) : '…' },
    { href: '/deploys', label: 'Deploy history', detail: 'Every git push deploy' },
  ];
  const menu = useMenuButton<HTMLAnchorElement>(entries.length, {
    start: () => 0,
    // Enter follows the focused link by itself; Space, as on any menu item, does the same.
    activate: (position) => menu.items.current[position]?.click(),
    enterActivates: false,
  });
  const { open, setOpen, active, items } = menu;

  useEffect(() => {
    if (!open) return;
    void api.health().then(setHealth, (e: Error) => setHealth(e.message));
    void api.version().then(setVersion, () => setVersion(null));
  }, [open]);

  return (
    <div className="server-menu">
      <button className="small" {...menu.buttonProps}>
        Server
      </button>
      {open && (
        <ul {...menu.menuProps} aria-label="Server" className="menu-popover">
          {entries.map((entry, position) => (
            <li key={entry.label} role="none">
              <Link
                ref={(element: HTMLAnchorElement | null) => {
                  items.current[position] = element;
                }}
                href={entry.href}
                role="menuitem"
                tabIndex={position === active ? 0 : -1}
                onClick={() => setOpen(false)}
                data-item={entry.label}
              >
                <span>{entry.label}</span>
                <span className="muted">{entry.detail}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
