// hls.js ships types for its full build only; the light build (no subtitles, alternate audio or
// DRM, none of which the ladder uses) has the same API, at two thirds of the size.
declare module 'hls.js/light' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
