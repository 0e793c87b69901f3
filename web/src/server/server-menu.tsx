import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../api';
import { Link } from '../link';
import type { HealthReport, VersionDto } from '@nebula/contract';
import { healthSummary, versionSummary } from './server-facts';

/**
 * The Server menu in the header: how the server is (GET /api/health), what version runs
 * (GET /api/version), and the deploy history. A menu button (WAI-ARIA APG "menu button" pattern,
 * as the player's quality menu): arrows, Home and End move, Enter or Space opens the item, Escape
 * closes and gives focus back. Health is asked when the menu opens, not on every page.
 */
export function ServerMenu() {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [health, setHealth] = useState<HealthReport | string | null>(null);
  const [version, setVersion] = useState<VersionDto | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLAnchorElement | null)[]>([]);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    void api.health().then(setHealth, (e: Error) => setHealth(e.message));
    void api.version().then(setVersion, () => setVersion(null));
    const close = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !button.current?.parentElement?.contains(event.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, [open]);

  useEffect(() => {
    if (open) items.current[active]?.focus();
  }, [open, active]);

  const entries = [
    { href: '/server', label: 'Health', detail: health === null ? 'Checking…' : typeof health === 'string' ? health : healthSummary(health) },
    { href: '/server', label: 'Version', detail: version ? versionSummary(version) : '…' },
    { href: '/deploys', label: 'Deploy history', detail: 'Every git push deploy' },
  ];

  const openAt = (position: number) => {
    setActive(position);
    setOpen(true);
  };
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(event.key === 'ArrowDown' ? 0 : entries.length - 1);
    }
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const last = entries.length - 1;
    const moves: Record<string, number> = { ArrowDown: active === last ? 0 : active + 1, ArrowUp: active === 0 ? last : active - 1, Home: 0, End: last };
    if (event.key in moves) setActive(moves[event.key]!);
    // Enter follows the focused link by itself; Space, as on any menu item, does the same.
    else if (event.key === ' ') items.current[active]?.click();
    else if (event.key === 'Escape') close();
    else if (event.key === 'Tab') setOpen(false);
    else return;
    if (event.key !== 'Tab') event.preventDefault();
  };

  return (
    <div className="server-menu">
      <button
        ref={button}
        type="button"
        className="small"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => (open ? setOpen(false) : openAt(0))}
        onKeyDown={onButtonKey}
      >
        Server
      </button>
      {open && (
        <ul id={menuId} role="menu" aria-label="Server" onKeyDown={onMenuKey}>
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
