// The epochs of a training loop: their reports (to the caller as they come), the best one by the
// monitored loss (validation loss when there is one, else training loss) with its weights, and
// early stopping after `patience` epochs without an improvement of more than `minDelta`.
import type { TrainingSpec } from "./spec.js";
import type { EpochReport } from "./trainer.js";

export class EpochLog<W> {
  readonly history: EpochReport[] = [];
  stoppedEarly = false;
  private best: { loss: number; epoch: number; weights?: W } = { loss: Infinity, epoch: 0 };
  private sinceBest = 0;

  constructor(
    private readonly training: Pick<TrainingSpec, "epochs" | "earlyStopping">,
    private readonly onEpoch?: (r: EpochReport) => void,
  ) {}

  /**
   * Records an epoch of a loop whose weights `current()` builds: it is validated when the loop has a
   * check, and its weights are kept when it is the best so far. True: stop training.
   */
  recordEpoch(
    epoch: number,
    e: { trainLoss: number; lr: number; samples: number; started: number; trainSeconds: number },
    current: () => W,
    validate?: (w: W) => { loss: number; metrics: Record<string, number> },
  ): boolean {
    // Built once, for the check and the kept copy alike; not at all when neither needs it.
    let weights: W | undefined;
    const get = () => (weights ??= current());
    const validated = validate?.(get());
    const report: EpochReport = {
      epoch,
      epochs: this.training.epochs,
      trainLoss: e.trainLoss,
      ...(validated ? { validationLoss: validated.loss, metrics: validated.metrics } : { metrics: {} }),
      lr: e.lr,
      samplesPerSecond: e.samples / e.trainSeconds,
      seconds: (performance.now() - e.started) / 1000,
    };
    return this.record(report, get);
  }

  /** Records an epoch; `weights()` is taken when it is the best so far. True: stop training. */
  record(report: EpochReport, weights: () => W): boolean {
    this.history.push(report);
    this.onEpoch?.(report);
    const stopping = this.training.earlyStopping;
    const monitored = report.validationLoss ?? report.trainLoss;
    if (monitored < this.best.loss - (stopping === false ? 0 : stopping.minDelta)) {
      this.best = { loss: monitored, epoch: report.epoch, weights: weights() };
      this.sinceBest = 0;
    } else if (stopping !== false && ++this.sinceBest >= stopping.patience) {
      this.stoppedEarly = report.epoch < this.training.epochs;
      return true;
    }
    return false;
  }

  /** What the loop returns: without early stopping the last epoch's weights, with it the best epoch's. */
  result(last: () => W): { weights: W; bestEpoch: number; history: EpochReport[]; stoppedEarly: boolean } {
    const keepLast = this.training.earlyStopping === false || this.best.weights === undefined;
    return { weights: keepLast ? last() : this.best.weights!, bestEpoch: keepLast ? this.history.length : this.best.epoch, history: this.history, stoppedEarly: this.stoppedEarly };
  }
}
