import type Hls from 'hls.js';
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { contentUrl } from '../api';
import { QualityMenu, type Rung } from './quality-menu';
import { formatPosition, positionToResume, rememberPosition } from './resume-position';
import { SEEK_STEP_SECONDS, SeekPreviewBar } from './seek-preview';
import { ladderCovers } from './ladder-reach';
import { playerSizeCap } from './player-size-cap';

/** Fatal network errors tried again (2 s, 4 s, … apart) before the player gives up and says so. */
const NETWORK_RETRIES = 5;
/** How often (in media seconds) the position is written down while playing. */
const REMEMBER_EVERY_SECONDS = 1;

/** `from` and `play` carry the position and the playing state over when the source changes under the viewer. */
type Source = ({ kind: 'hls'; url: string } | { kind: 'original' }) & { from: number; play: boolean };

/**
 * Plays a video: the HLS ladder when there is one (hls.js where Media Source Extensions exist, so
 * the quality menu works; the browser's own HLS where they do not, as on older iPhones), and the
 * original by byte range when there is no ladder yet. The ladder can be played while the worker is
 * still making it: its playlists grow under the player.
 */
export function VideoPlayer({
  fileId,
  hls,
  poster,
  storyboard = null,
  name,
  playRequests = 0,
  ladderMade = Infinity,
}: {
  fileId: string;
  hls: string | null;
  poster: string | null;
  /** The seek previews' WebVTT track, when the worker made one. */
  storyboard?: string | null;
  name: string;
  playRequests?: number;
  /** How far into the video the ladder has been made, in seconds (see ladderReach); all of it by default. */
  ladderMade?: number;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const frame = useRef<HTMLDivElement>(null);
  const player = useRef<Hls | null>(null);
  const keysHint = useId();
  /** Where the viewer left this video last time: offered, never forced. Nothing plays until they choose. */
  const [resumeOffer, setResumeOffer] = useState<number | null>(() => positionToResume(fileId));
  const remembered = useRef(0);
  const [source, setSource] = useState<Source>(() => {
    const play = positionToResume(fileId) === null;
    return hls ? { kind: 'hls', url: hls, from: 0, play } : { kind: 'original', from: 0, play };
  });
  const [rungs, setRungs] = useState<Rung[]>([]);
  const [choice, setChoice] = useState(-1);
  const [playing, setPlaying] = useState<number | null>(null);
  const [nativeHls, setNativeHls] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [switchOffered, setSwitchOffered] = useState(false);
  /** Set when this browser cannot play the ladder at all: the original stays on, with no switching back. */
  const [ladderUnusable, setLadderUnusable] = useState(false);

  /** Over to the ladder at the same place, playing if it was playing. */
  const switchToLadder = useCallback((url: string) => {
    const element = video.current;
    setProblem(null);
    setSource({ kind: 'hls', url, from: element && !element.ended ? element.currentTime : 0, play: element ? !element.paused && !element.ended : true });
  }, []);

  // The ladder appeared while the original was on screen: once it is made past where the viewer
  // is (see ladderCovers), take it now unless the original is playing, which a switch would
  // interrupt; then offer it. An original the browser cannot play moves at once. Asked again at
  // each progress report and each seek (a seek past what is made withdraws the offer); an offer on
  // screen is honoured when clicked (it used to be checked again then, against a progress report up
  // to 2 s old, and could vanish instead).
  const reconsiderLadder = useCallback(() => {
    if (!hls || source.kind === 'hls' || ladderUnusable) return;
    const element = video.current;
    // Not (or no longer: the viewer skipped ahead of it) far enough: no offer yet.
    if (!problem && !ladderCovers(ladderMade, element && !element.ended ? element.currentTime : 0)) {
      setSwitchOffered(false);
      return;
    }
    if (!element || element.paused || element.ended || problem) switchToLadder(hls);
    else setSwitchOffered(true);
  }, [hls, ladderMade, source.kind, problem, ladderUnusable, switchToLadder]);
  useEffect(reconsiderLadder, [reconsiderLadder]);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    let cancelled = false;
    let retry: number | undefined;
    setRungs([]);
    setChoice(-1);
    setPlaying(null);
    setNativeHls(false);
    setSwitchOffered(false);
    // Browsers may refuse to play before the viewer touched the page: the controls are there.
    const start = () => {
      if (source.play) void element.play().catch(() => undefined);
    };

    if (source.kind === 'original') {
      element.src = contentUrl(fileId);
      start();
      return () => {
        element.removeAttribute('src');
        element.load();
      };
    }
    const playOriginal = (why: string) => {
      setProblem(why);
      setLadderUnusable(true);
      setSource({ kind: 'original', from: source.from, play: source.play });
    };
    const loading = import('hls.js/light').then(({ default: HlsJs }) => {
      if (cancelled) return;
      if (!HlsJs.isSupported()) {
        if (element.canPlayType('application/vnd.apple.mpegurl')) {
          setNativeHls(true);
          element.src = source.url;
          if (source.from > 0) element.addEventListener('loadedmetadata', () => (element.currentTime = source.from), { once: true });
          start();
        } else {
          playOriginal('This browser cannot play adaptive streams; playing the original instead.');
        }
        return;
      }
      // From the start (or where the original was), not the live edge: a ladder still being made is an
      // EVENT playlist. Auto never takes a rung larger than the player's pixels (times the device pixel
      // ratio; playerSizeCap): a phone gets a phone's picture, not 2160p; hls.js's bandwidth estimate caps it too.
      const sizeCap = HlsJs.DefaultConfig.capLevelController;
      const instance = new HlsJs({ startPosition: source.from, capLevelToPlayerSize: true, ...(sizeCap ? { capLevelController: playerSizeCap(sizeCap) } : {}) });
      player.current = instance;
      instance.on(HlsJs.Events.MANIFEST_PARSED, (_event, data) => {
        setRungs(data.levels.map((level, index) => ({ index, height: level.height, bitrate: level.bitrate })).sort((a, b) => b.height - a.height));
        start();
      });
      instance.on(HlsJs.Events.LEVEL_SWITCHED, (_event, data) => setPlaying(instance.levels[data.level]?.height ?? null));
      let mediaRecoveries = 0;
      let networkRetries = 0;
      instance.on(HlsJs.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 2) {
          instance.recoverMediaError();
          return;
        }
        if (data.type === HlsJs.ErrorTypes.NETWORK_ERROR && networkRetries++ < NETWORK_RETRIES) {
          setProblem('The stream stopped loading (network). Retrying…');
          retry = window.setTimeout(() => instance.startLoad(), 2000 * networkRetries);
          return;
        }
        if (data.type === HlsJs.ErrorTypes.NETWORK_ERROR) {
          setProblem('The stream cannot be reached. Check the connection to Nebula, then reload the page.');
          return;
        }
        setProblem(`The stream could not be played (${data.details}). Download the original to watch it.`);
      });
      instance.on(HlsJs.Events.FRAG_LOADED, () => {
        networkRetries = 0;
        setProblem(null);
      });
      instance.loadSource(source.url);
      instance.attachMedia(element);
    });
    // The player's code is a separate file: after an update of Nebula an open tab may ask for a file
    // that is gone. The original still plays.
    loading.catch(() => {
      if (!cancelled) playOriginal('The stream player could not be loaded (Nebula was probably updated): reload the page. Playing the original meanwhile.');
    });
    return () => {
      cancelled = true;
      window.clearTimeout(retry);
      player.current?.destroy();
      player.current = null;
      element.removeAttribute('src');
      element.load();
    };
  }, [source, fileId]);

  const chooseQuality = (index: number) => {
    setChoice(index);
    // currentLevel switches now (the buffer is flushed); -1 hands the choice back to hls.js.
    if (player.current) player.current.currentLevel = index;
  };

  const remember = (element: HTMLVideoElement) => {
    remembered.current = element.currentTime;
    rememberPosition(fileId, element.currentTime, element.duration);
  };

  const resume = (seconds: number | null) => {
    const element = video.current;
    setResumeOffer(null);
    if (!element) return;
    const go = () => {
      if (seconds !== null) element.currentTime = seconds;
      void element.play().catch(() => undefined);
    };
    if (element.readyState >= HTMLMediaElement.HAVE_METADATA) go();
    else element.addEventListener('loadedmetadata', go, { once: true });
    // The offer's buttons are gone: the keyboard goes to the player, where its keys work.
    frame.current?.focus();
  };

  // The page's Play button: play from where the viewer left off (or the start), with the keys on the player.
  const lastRequest = useRef(playRequests);
  useEffect(() => {
    if (playRequests === lastRequest.current) return;
    lastRequest.current = playRequests;
    frame.current?.scrollIntoView({ block: 'nearest' });
    frame.current?.focus();
    resume(resumeOffer);
  }, [playRequests]); // only a new request plays: resumeOffer is read as it is then

  /** The player's keys, on the whole player (the video and its bar), as in most web players. */
  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const element = video.current;
    // Keys on the player's own buttons and menus are theirs (Space presses a button).
    if (!element || event.altKey || event.ctrlKey || event.metaKey || (event.target as HTMLElement).closest('button, [role="menu"], select, input:not(.seek-bar), a')) return;
    // ← and → jump SEEK_STEP_SECONDS; j and l twice as far (as YouTube's keys do).
    const seek = (by: number) => (element.currentTime = Math.max(0, Math.min(element.duration || Infinity, element.currentTime + by)));
    switch (event.key) {
      case ' ':
      case 'k':
        if (element.paused) void element.play().catch(() => undefined);
        else element.pause();
        break;
      case 'ArrowLeft':
        seek(-SEEK_STEP_SECONDS);
        break;
      case 'ArrowRight':
        seek(SEEK_STEP_SECONDS);
        break;
      case 'j':
        seek(-2 * SEEK_STEP_SECONDS);
        break;
      case 'l':
        seek(2 * SEEK_STEP_SECONDS);
        break;
      case 'ArrowUp':
        element.volume = Math.min(1, element.volume + 0.1);
        break;
      case 'ArrowDown':
        element.volume = Math.max(0, element.volume - 0.1);
        break;
      case 'm':
        element.muted = !element.muted;
        break;
      case 'f':
        if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
        else void frame.current?.requestFullscreen().catch(() => undefined);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  return (
    <div ref={frame} className="player" tabIndex={0} role="region" aria-label={`Player: ${name}`} aria-describedby={keysHint} onKeyDown={onKey}>
      {resumeOffer !== null && (
        <div className="resume-offer">
          <span>You watched this before.</span>
          <button type="button" className="primary" autoFocus onClick={() => resume(resumeOffer)}>
            Resume at {formatPosition(resumeOffer)}
          </button>
          <button type="button" onClick={() => resume(0)}>
            Start from the beginning
          </button>
        </div>
      )}
      <video
        ref={video}
        className="video"
        controls
        playsInline
        preload="metadata"
        poster={poster ?? undefined}
        aria-label={`Video: ${name}`}
        data-source={source.kind}
        onError={() => {
          if (source.kind === 'original') setProblem('This browser cannot play the original file; it plays here once the adaptive stream is made. You can download it meanwhile.');
        }}
        onPlay={() => setResumeOffer(null)}
        onTimeUpdate={(e) => {
          const element = e.currentTarget;
          if (!element.paused && Math.abs(element.currentTime - remembered.current) >= REMEMBER_EVERY_SECONDS) remember(element);
        }}
        onPause={(e) => {
          // A pause the browser makes while the source changes (at 0) is not the viewer leaving the video.
          if (resumeOffer === null && e.currentTarget.currentTime > 0) remember(e.currentTarget);
        }}
        onEnded={(e) => remember(e.currentTarget)}
        onSeeked={reconsiderLadder}
      />
      <SeekPreviewBar video={video} storyboard={storyboard} />
      <div className="player-bar">
        {source.kind === 'hls' && !nativeHls && rungs.length > 0 && <QualityMenu rungs={rungs} choice={choice} playing={playing} onChoose={chooseQuality} />}
        {source.kind === 'hls' && nativeHls && <span className="muted">Quality: chosen by the browser</span>}
        {source.kind === 'original' && <span className="muted">Playing the original file</span>}
        {playing !== null && (
          <span className="muted" aria-live="polite" data-playing-height={playing}>
            Now {playing}p
          </span>
        )}
        {switchOffered && hls && (
          <button
            type="button"
            className="small"
            onClick={() => switchToLadder(hls)}
          >
            Switch to the adaptive stream
          </button>
        )}
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <p id={keysHint} className="sr-only">
        Keys: Space or k plays and pauses, arrows left and right jump 5 seconds (j and l 10), up and down change the volume, m mutes, f is full screen.
      </p>
    </div>
  );
}
