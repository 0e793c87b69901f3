import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

export interface Rung {
  index: number;
  height: number;
  bitrate: number;
}

/**
 * The quality control: a menu button (WAI-ARIA APG "menu button" pattern) with one radio item per
 * rung and Auto. Arrows move, Enter or Space picks, Escape closes and gives focus back; the button
 * says what is chosen and, under Auto, which rung plays now.
 */
export function QualityMenu({ rungs, choice, playing, onChoose }: { rungs: Rung[]; choice: number; playing: number | null; onChoose: (index: number) => void }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLLIElement | null)[]>([]);
  const menuId = useId();
  const options = [{ index: -1, label: 'Auto', detail: 'fits screen and speed' }, ...rungs.map((r) => ({ index: r.index, label: `${r.height}p`, detail: `${(r.bitrate / 1_000_000).toFixed(1)} Mbit/s` }))];
  const chosen = options.find((o) => o.index === choice) ?? options[0]!;
  const summary = choice === -1 ? `Auto${playing ? ` (${playing}p)` : ''}` : chosen.label;

  useEffect(() => {
    if (open) items.current[active]?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const close = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !button.current?.parentElement?.contains(event.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, [open]);

  const openAt = (position: number) => {
    setActive(position);
    setOpen(true);
  };
  const pick = (index: number) => {
    onChoose(index);
    setOpen(false);
    button.current?.focus();
  };
  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(event.key === 'ArrowDown' ? Math.max(0, options.indexOf(chosen)) : options.length - 1);
    }
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const last = options.length - 1;
    const moves: Record<string, number> = { ArrowDown: active === last ? 0 : active + 1, ArrowUp: active === 0 ? last : active - 1, Home: 0, End: last };
    if (event.key in moves) setActive(moves[event.key]!);
    else if (event.key === 'Enter' || event.key === ' ') pick(options[active]!.index);
    else if (event.key === 'Escape') {
      setOpen(false);
      button.current?.focus();
    } else if (event.key === 'Tab') setOpen(false);
    else return;
    if (event.key !== 'Tab') event.preventDefault();
  };

  return (
    <div className="quality">
      <button
        ref={button}
        type="button"
        className="small"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => (open ? setOpen(false) : openAt(Math.max(0, options.indexOf(chosen))))}
        onKeyDown={onButtonKey}
      >
        Quality: {summary}
      </button>
      {open && (
        <ul id={menuId} role="menu" aria-label="Quality" className="quality-menu" onKeyDown={onMenuKey}>
          {options.map((option, position) => (
            <li
              key={option.index}
              ref={(element) => {
                items.current[position] = element;
              }}
              role="menuitemradio"
              aria-checked={option.index === choice}
              tabIndex={position === active ? 0 : -1}
              onClick={() => pick(option.index)}
            >
              <span className="quality-label">{option.label}</span>
              <span className="muted">{option.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
