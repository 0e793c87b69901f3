/** Picture filters the encoder builders share. */
import type { VideoProbe } from '../probe';

/**
 * HDR (PQ or HLG) to SDR BT.709 in software: linear light, BT.2020 → BT.709 primaries in float,
 * Hable's curve with no desaturation (phones' HDR keeps its colour), then BT.709 limited range.
 * zscale (zimg) and tonemap are both in Debian's ffmpeg 5.1.
 */
export function softwareToneMap(pixelFormat: string): string[] {
  return ['zscale=t=linear:npl=100', 'format=gbrpf32le', 'zscale=p=bt709', 'tonemap=tonemap=hable:desat=0', 'zscale=t=bt709:m=bt709:r=tv', `format=${pixelFormat}`];
}

/** The transpose direction that turns a rotated source upright (the names VAAPI and QSV filters take). */
export const TRANSPOSE: Record<VideoProbe['rotation'], string | null> = { 0: null, 90: 'clock', 180: 'reversal', 270: 'cclock' };
