// What a model answered for one instance: the prediction and, for classifiers, each class's probability.
import type { PredictResponse } from "../../api/schemas.js";
import { Bars } from "../components/chart.js";
import { num } from "../components/feedback.js";

export function PredictionView({ response, target }: { response: PredictResponse; target: string }) {
  const p = response.predictions[0];
  return (
    <div class="prediction" role="status">
      <p>
        v{response.model.version} predicts {target}: <strong class="prediction-value">{typeof p.prediction === "number" ? num(p.prediction) : p.prediction}</strong>
      </p>
      {p.probabilities && <Bars title="Probability of each class" values={p.probabilities} />}
    </div>
  );
}
