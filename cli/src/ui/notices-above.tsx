import { useStderr } from 'ink';
import { useEffect } from 'react';
import { routeNotices } from '../notices';

/** Part of every Ink screen: the CLI's stderr notices are written above the screen, which is drawn again below them. */
export function NoticesAbove(): null {
  const { write } = useStderr();
  useEffect(() => routeNotices(write), [write]);
  return null;
}
