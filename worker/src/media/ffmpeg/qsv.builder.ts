import type { Rung } from '../ladder';
import type { MediaProbe } from '../probe';
import { requireVideo } from './common';
import { HardwareBuilder, type Decode, type HlsJob } from './hls-command-builder';

/** ffmpeg's QuickSync decoders, by the codec ffprobe names. */
const QSV_DECODERS: Record<string, string> = {
  h264: 'h264_qsv',
  hevc: 'hevc_qsv',
  mpeg2video: 'mpeg2_qsv',
  vc1: 'vc1_qsv',
  vp8: 'vp8_qsv',
  vp9: 'vp9_qsv',
  av1: 'av1_qsv',
};

/**
 * Intel QuickSync with h264_qsv. On Linux the QSV device is derived from a VAAPI one on the render
 * node (`qsv=hw:/dev/dri/...` would read the path as an MFX implementation name and ignore it).
 */
export class QsvBuilder extends HardwareBuilder {
  readonly kind = 'qsv';

  /** vpp_qsv has no tone mapping in ffmpeg 5.1: HDR sources are decoded and tone-mapped in software. */
  canHwDecode(probe: MediaProbe): boolean {
    const video = probe.video;
    return !!video && video.codec in QSV_DECODERS && video.hdr === null;
  }

  protected inputArgs(job: HlsJob, decode: Decode): string[] {
    const devices = ['-init_hw_device', `vaapi=va:${this.device}`, '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'];
    if (decode === 'sw') return devices;
    const decoder = QSV_DECODERS[requireVideo(job.probe).codec]!;
    return [...devices, '-hwaccel', 'qsv', '-hwaccel_output_format', 'qsv', '-noautorotate', '-c:v', decoder];
  }

  protected sourceFilters(job: HlsJob, decode: Decode): string[] {
    if (decode === 'sw') return this.softwareDecodeFilters(job, ['hwupload=extra_hw_frames=64', 'format=qsv']);
    const turn = this.rotation(job);
    return turn ? [`vpp_qsv=transpose=${turn}`] : [];
  }

  protected scaleFilter(rung: Rung): string {
    return `scale_qsv=w=${rung.width}:h=${rung.height}:format=nv12`;
  }

  protected encoderArgs(): string[] {
    return ['-c:v', 'h264_qsv', '-preset', 'veryfast', '-profile:v', 'high'];
  }

  protected keyframeArgs(gop: number, forced: string | null): string[] {
    // forced_idr: a forced keyframe is an IDR frame, where a segment can start.
    return ['-g', String(gop), '-forced_idr', '1', ...(forced ? ['-force_key_frames', forced] : [])];
  }
}
