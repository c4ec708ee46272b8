// `maas demo`: trains an MLP on generated two-spirals data and prints its learning curve.
import { twoSpirals } from "../data/synthetic.js";
import { Model } from "../models/model.js";
import type { EpochReport } from "../models/trainer.js";

export async function demo(write: (line: string) => void): Promise<void> {
  const data = twoSpirals(1000, 1);
  write("Training an MLP (2-64-64-2, ReLU, Adam) on 1000 points of two interleaved spirals...");
  const onEpoch = (r: EpochReport) => {
    if (r.epoch % 10 === 0 || r.epoch === 1) {
      write(`epoch ${String(r.epoch).padStart(3)}  loss ${r.trainLoss.toFixed(4)}  val loss ${r.validationLoss?.toFixed(4)}  val accuracy ${r.metrics.accuracy.toFixed(3)}  ${Math.round(r.samplesPerSecond)} samples/s`);
    }
  };
  const model = await Model.fit(
    { model: { kind: "mlp", hidden: [64, 64], activation: "relu" }, task: "classification", training: { epochs: 200, lr: 0.01 } },
    data,
    { onEpoch },
  );
  const best = model.history[model.bestEpoch - 1];
  write(`best epoch ${model.bestEpoch}: validation accuracy ${best.metrics.accuracy.toFixed(3)}, ROC-AUC ${best.metrics.rocAuc.toFixed(3)}`);
  await model.release();
}
