// Early stopping on fitness (Ultralytics' EarlyStopping): ties count as improvement.

export class EarlyStopping {
  bestFitness = 0;
  bestEpoch = 0;
  /** True when the next epoch without improvement would stop training (the trainer then validates even with val=false). */
  possibleStop = false;
  readonly patience: number;

  /** `patience` 0 (or less) means never stop. */
  constructor(patience = 50) {
    this.patience = patience > 0 ? patience : Number.POSITIVE_INFINITY;
  }

  /** Called with the 1-based epoch and its fitness; returns true when training should stop. */
  step(epoch: number, fitness: number | null): boolean {
    if (fitness === null) return false;
    if (fitness >= this.bestFitness) {
      this.bestEpoch = epoch;
      this.bestFitness = fitness;
    }
    const delta = epoch - this.bestEpoch;
    this.possibleStop = delta >= this.patience - 1;
    const stop = delta >= this.patience;
    if (stop) {
      console.log(
        `Stopping training early as no improvement observed in last ${this.patience} epochs. ` +
          `Best results observed at epoch ${this.bestEpoch}, best model saved as best.safetensors.\n` +
          'To update EarlyStopping(patience=...) pass a new patience value, i.e. `patience=300` or use `patience=0` to disable EarlyStopping.',
      );
    }
    return stop;
  }
}
