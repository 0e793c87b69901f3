import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type RefObject } from 'react';
import { formatPosition } from './resume-position';
import { parseStoryboard, tileAt, type StoryboardTile } from './storyboard';

/** How far ← and → move, on the player and on its seek bar. */
export const SEEK_STEP_SECONDS = 5;

/**
 * A scrub bar with seek previews: hovering it (or dragging, or its arrow keys) shows the thumbnail
 * of that moment above it, cut from the storyboard's sprite sheets. Shown only when the video has
 * a storyboard; the video's own controls stay as they are.
 */
export function SeekPreviewBar({ video, storyboard }: { video: RefObject<HTMLVideoElement | null>; storyboard: string | null }) {
  const [tiles, setTiles] = useState<StoryboardTile[]>([]);
  const [duration, setDuration] = useState(0);
  const [position, setPosition] = useState(0);
  /** The time under the pointer (or the thumb being dragged) and where over the bar it is, in px. */
  const [preview, setPreview] = useState<{ time: number; x: number } | null>(null);
  const bar = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setTiles([]);
    if (!storyboard) return;
    const controller = new AbortController();
    // Previews are a nicety: a track that cannot be read shows no bar, and the video plays on.
    fetch(storyboard, { signal: controller.signal })
      .then((response) => (response.ok ? response.text() : ''))
      .then((text) => setTiles(parseStoryboard(text, new URL(storyboard, window.location.href).pathname)))
      .catch(() => undefined);
    return () => controller.abort();
  }, [storyboard]);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    const update = () => {
      setDuration(Number.isFinite(element.duration) ? element.duration : 0);
      setPosition(element.currentTime);
    };
    const events = ['durationchange', 'loadedmetadata', 'timeupdate', 'seeked'] as const;
    for (const name of events) element.addEventListener(name, update);
    update();
    return () => {
      for (const name of events) element.removeEventListener(name, update);
    };
  }, [video]);

  if (tiles.length === 0 || duration <= 0) return null;

  const xOf = (time: number) => ((bar.current?.clientWidth ?? 0) * time) / duration;
  const onPointer = (event: PointerEvent<HTMLInputElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const x = Math.max(0, Math.min(box.width, event.clientX - box.left));
    setPreview({ time: (x / box.width) * duration, x });
  };
  const seek = (time: number) => {
    setPreview({ time, x: xOf(time) });
    if (video.current) video.current.currentTime = time;
  };
  // ← and → step as the player's own keys do (a range's native step is a tenth of a second), with
  // the thumbnail of where they land; other keys (Space, k, j, l, m, f) go on to the player.
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    event.stopPropagation();
    // From where the video is now: the bar's position is the last timeupdate's, up to a quarter of a
    // second behind a playing video, and behind a seek the video has not answered yet.
    const from = video.current?.currentTime ?? position;
    seek(Math.max(0, Math.min(duration, from + (event.key === 'ArrowRight' ? SEEK_STEP_SECONDS : -SEEK_STEP_SECONDS))));
  };
  const tile = preview && tileAt(tiles, preview.time);
  const barWidth = bar.current?.clientWidth ?? 0;

  return (
    <div className="seek">
      {preview && tile && (
        <div
          className="seek-preview"
          data-time={preview.time.toFixed(1)}
          style={{
            left: Math.max(0, Math.min(barWidth - tile.width, preview.x - tile.width / 2)),
            width: tile.width,
            height: tile.height,
            backgroundImage: `url("${tile.image}")`,
            backgroundPosition: `-${tile.x}px -${tile.y}px`,
          }}
          aria-hidden="true"
        >
          <span>{formatPosition(preview.time)}</span>
        </div>
      )}
      <input
        ref={bar}
        type="range"
        className="seek-bar"
        aria-label="Seek"
        aria-valuetext={`${formatPosition(position)} of ${formatPosition(duration)}`}
        min={0}
        max={duration}
        step={0.1}
        value={Math.min(position, duration)}
        onChange={(event) => seek(Number(event.currentTarget.value))}
        onKeyDown={onKey}
        onPointerMove={onPointer}
        onPointerDown={onPointer}
        onPointerLeave={() => setPreview(null)}
        onBlur={() => setPreview(null)}
      />
    </div>
  );
}
