// Seeding (Ultralytics' init_seeds): libtorch's generators; the data pipeline seeds itself from args.seed.
import * as torch from '@yolots/torch';

export function initSeeds(seed: number): void {
  torch.manualSeed(seed);
}
