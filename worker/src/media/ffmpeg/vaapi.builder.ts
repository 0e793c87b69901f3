import type { Rung } from '../ladder';
import type { MediaProbe } from '../probe';
import { HardwareBuilder, type Decode, type HlsJob } from './hls-command-builder';

/** Codecs VAAPI drivers decode. */
const VAAPI_DECODABLE = new Set(['h264', 'hevc', 'mpeg2video', 'vc1', 'vp8', 'vp9', 'av1']);

/** VAAPI (Intel and AMD on Linux) with h264_vaapi. */
export class VaapiBuilder extends HardwareBuilder {
  readonly kind = 'vaapi';

  /** tonemap_vaapi only knows HDR10 (PQ) in ffmpeg 5.1; HLG would come out wrong, so HLG sources are decoded in software and tone-mapped with zscale. */
  canHwDecode(probe: MediaProbe): boolean {
    const video = probe.video;
    return !!video && VAAPI_DECODABLE.has(video.codec) && video.hdr !== 'hlg';
  }

  protected inputArgs(_job: HlsJob, decode: Decode): string[] {
    return decode === 'hw'
      ? ['-hwaccel', 'vaapi', '-hwaccel_output_format', 'vaapi', '-hwaccel_device', this.device, '-noautorotate']
      : ['-init_hw_device', `vaapi=va:${this.device}`, '-filter_hw_device', 'va'];
  }

  protected sourceFilters(job: HlsJob, decode: Decode): string[] {
    if (decode === 'sw') return this.softwareDecodeFilters(job, ['hwupload']);
    const turn = this.rotation(job);
    return [...(job.ladder.hdrToSdr ? ['tonemap_vaapi=format=nv12:t=bt709:m=bt709:p=bt709'] : []), ...(turn ? [`transpose_vaapi=dir=${turn}`] : [])];
  }

  protected scaleFilter(rung: Rung): string {
    // format=nv12: a 10-bit SDR source (P010) becomes 8-bit for H.264 High.
    return `scale_vaapi=w=${rung.width}:h=${rung.height}:format=nv12`;
  }

  protected encoderArgs(): string[] {
    return ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'VBR'];
  }

  protected keyframeArgs(gop: number, forced: string | null): string[] {
    // VAAPI has no scene-cut keyframes; forced keyframes become IDR frames (idr_interval 0).
    return ['-g', String(gop), ...(forced ? ['-force_key_frames', forced] : [])];
  }
}
