import { useMenuButton } from '../menu-button';

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
  const options = [{ index: -1, label: 'Auto', detail: 'fits screen and speed' }, ...rungs.map((r) => ({ index: r.index, label: `${r.height}p`, detail: `${(r.bitrate / 1_000_000).toFixed(1)} Mbit/s` }))];
  const chosen = options.find((o) => o.index === choice) ?? options[0]!;
  const summary = choice === -1 ? `Auto${playing ? ` (${playing}p)` : ''}` : chosen.label;

  const menu = useMenuButton<HTMLLIElement>(options.length, {
    start: () => Math.max(0, options.indexOf(chosen)),
    activate: (position) => pick(options[position]!.index),
    enterActivates: true,
  });
  const { open, active, items } = menu;
  function pick(index: number) {
    onChoose(index);
    menu.close();
  }

  return (
    <div className="quality">
      <button className="small" {...menu.buttonProps}>
        Quality: {summary}
      </button>
      {open && (
        <ul {...menu.menuProps} aria-label="Quality" className="menu-popover quality-menu">
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
