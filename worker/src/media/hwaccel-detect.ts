import { readdir } from 'node:fs/promises';
import type { HwaccelReport } from '@nebula/contract';

/** Render nodes under /dev/dri: where VAAPI and QuickSync devices appear on Linux. */
export async function findRenderNodes(dir = '/dev/dri'): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.startsWith('renderD')).sort().map((name) => `${dir}/${name}`);
  } catch {
    return [];
  }
}

/**
 * What hardware acceleration the worker will use, from what was asked and what exists. A device that
 * exists is only a candidate: the one-frame test encode that proves it works comes with the media
 * pipeline; until it passes, encodes use software.
 */
export function planHwaccel(requested: HwaccelReport['requested'], devices: string[], configuredDevice?: string): HwaccelReport {
  if (requested === 'software') {
    return { requested, devices, selected: 'software', detail: 'hardware acceleration turned off (NEBULA_HWACCEL=software)' };
  }
  if (configuredDevice && !devices.includes(configuredDevice)) {
    // docker-compose.yml names renderD128 by default, on hosts with and without a GPU.
    const found = devices.length ? ` (found: ${devices.join(', ')})` : '';
    return { requested, devices, selected: 'software', detail: `render node ${configuredDevice} (NEBULA_HW_DEVICE) does not exist${found}: encoding with libx264 in software` };
  }
  const candidates = configuredDevice ? [configuredDevice] : devices;
  if (candidates.length === 0) {
    return { requested, devices, selected: 'software', detail: 'no GPU render node under /dev/dri: encoding with libx264 in software' };
  }
  return {
    requested,
    devices,
    selected: 'software',
    detail: `render node ${candidates[0]} found but not yet proven by a test encode: encoding in software`,
  };
}

/**
 * The render node to prove with a test encode, or null when there is nothing to probe: software
 * asked for, or no such node (a VAAPI or QSV probe without one only prints init errors).
 */
export function deviceToProve(plan: HwaccelReport, configuredDevice?: string): string | null {
  if (plan.requested === 'software') return null;
  const device = configuredDevice ?? plan.devices[0];
  return device && plan.devices.includes(device) ? device : null;
}
