import { describe, expect, it } from 'vitest';
import { acceptsGzip, assetName, isCompressible, missingBuildPage } from './web-routes';

describe('assetName', () => {
  it('takes the file names Vite writes', () => {
    expect(assetName('index-BvS1f5eW.js')).toBe('index-BvS1f5eW.js');
    expect(assetName(['hls.light-B5YW9Yff.js'])).toBe('hls.light-B5YW9Yff.js');
    expect(assetName('index-BtaZBtpD.css')).toBe('index-BtaZBtpD.css');
  });

  it('refuses anything that could leave the assets folder or is not a file name', () => {
    for (const bad of ['../index.html', '..', 'a/b.js', ['a', 'b.js'], '.env', 'x.js/', '', undefined, 'no-extension', '%2e%2e/x.js']) {
      expect(assetName(bad as string | string[] | undefined), String(bad)).toBeNull();
    }
  });
});

describe('acceptsGzip', () => {
  it('reads Accept-Encoding like a browser sends it', () => {
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('isCompressible', () => {
  it('compresses text, not images', () => {
    expect(isCompressible('/x/index-a.js')).toBe(true);
    expect(isCompressible('/x/index.html')).toBe(true);
    expect(isCompressible('/x/poster.jpg')).toBe(false);
    expect(isCompressible('/x/font.woff2')).toBe(false);
  });
});

describe('missingBuildPage', () => {
  it('says what to run, and escapes the folder it names', () => {
    const page = missingBuildPage('/srv/<nebula>/web/dist');
    expect(page).toContain('npm run build -w @nebula/web');
    expect(page).toContain('/srv/&#60;nebula&#62;/web/dist');
  });
});
