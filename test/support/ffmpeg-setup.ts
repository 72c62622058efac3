/**
 * Global setup of the vitest `infra` project: the pinned ffmpeg build exists before any synth
 * assembles the layer from it (on a new machine the one-time build outlasts a hook's timeout).
 * The integration and e2e setups get it through the backing services.
 */
import { workerBinaries } from './media-tools';

export default function setup(): void {
  workerBinaries();
}
