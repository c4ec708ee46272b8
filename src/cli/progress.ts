// Training progress on stderr: a live bar on a terminal, a few plain lines otherwise.
import { SingleBar } from "cli-progress";
import type { EpochReport } from "../models/trainer.js";

const fmt = (x: number | undefined): string => (x === undefined ? "-" : Number(x.toPrecision(4)).toString());

/** The validation metric a person watches: accuracy for classifiers, R² for regression (none without validation). */
function headline(r: EpochReport): string {
  if (r.metrics.accuracy !== undefined) return `acc ${fmt(r.metrics.accuracy)}`;
  if (r.metrics.r2 !== undefined) return `R² ${fmt(r.metrics.r2)}`;
  return "";
}

export class Progress {
  private readonly bar: SingleBar | undefined;
  private readonly every: number;
  private seconds = 0;

  constructor(
    private readonly epochs: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.every = Math.max(1, Math.ceil(epochs / 20));
    if (stream.isTTY) {
      this.bar = new SingleBar({
        stream,
        format: "epoch {value}/{total} [{bar}] loss {loss} | val loss {vloss} | {headline} | {sps} samples/s | ETA {eta_s}s",
        barsize: 20,
        hideCursor: true,
        clearOnComplete: false,
      });
      this.bar.start(epochs, 0, { loss: "-", vloss: "-", headline: "", sps: "-", eta_s: "-" });
    }
  }

  epoch(r: EpochReport): void {
    this.seconds += r.seconds;
    const eta = Math.round((this.seconds / r.epoch) * (this.epochs - r.epoch));
    const values = { loss: fmt(r.trainLoss), vloss: fmt(r.validationLoss), headline: headline(r), sps: Math.round(r.samplesPerSecond), eta_s: eta };
    if (this.bar) this.bar.update(r.epoch, values);
    else if (r.epoch === 1 || r.epoch % this.every === 0) {
      this.stream.write(`epoch ${r.epoch}/${this.epochs}  loss ${values.loss}  val loss ${values.vloss}  ${values.headline}  ${values.sps} samples/s\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
