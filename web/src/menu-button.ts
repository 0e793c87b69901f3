import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

/**
 * The keyboard and focus of a menu button (WAI-ARIA APG "menu button" pattern), for the player's
 * quality menu and the header's Server menu: ArrowDown/ArrowUp on the button open the menu at
 * `start()` or at the last item; in the menu the arrows, Home and End move, `activate` runs on
 * Space (and on Enter when `enterActivates`: a link follows Enter by itself), Escape closes and
 * gives focus back to the button, Tab closes and lets focus move on; a press outside closes it.
 */
export function useMenuButton<Item extends HTMLElement>(count: number, options: { start: () => number; activate: (position: number) => void; enterActivates: boolean }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(Item | null)[]>([]);
  const menuId = useId();

  useEffect(() => {
    if (open) items.current[active]?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const outside = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !button.current?.parentElement?.contains(event.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const openAt = (position: number) => {
    setActive(position);
    setOpen(true);
  };
  /** Closes the menu and gives focus back to its button. */
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const toggle = () => (open ? setOpen(false) : openAt(options.start()));
  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(event.key === 'ArrowDown' ? options.start() : count - 1);
    }
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const last = count - 1;
    const moves: Record<string, number> = { ArrowDown: active === last ? 0 : active + 1, ArrowUp: active === 0 ? last : active - 1, Home: 0, End: last };
    if (event.key in moves) setActive(moves[event.key]!);
    else if (event.key === ' ' || (options.enterActivates && event.key === 'Enter')) options.activate(active);
    else if (event.key === 'Escape') close();
    else if (event.key === 'Tab') setOpen(false);
    else return;
    if (event.key !== 'Tab') event.preventDefault();
  };

  /** What the trigger button carries (spread it on the <button>): its ref, type, ARIA state and handlers. */
  const buttonProps = {
    ref: button,
    type: 'button' as const,
    'aria-haspopup': 'menu' as const,
    'aria-expanded': open,
    'aria-controls': menuId,
    onClick: toggle,
    onKeyDown: onButtonKey,
  };
  /** What the open menu's list carries: its id (the button's aria-controls), role and keys. */
  const menuProps = { id: menuId, role: 'menu', onKeyDown: onMenuKey };

  return { open, setOpen, active, items, close, buttonProps, menuProps };
}
