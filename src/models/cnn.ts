// The convolutional network family: a list of layers over an [N, C, H, W] image batch, and the
// default list when the spec gives none.
import type { Builder } from "../engine/builder.js";
import type { Value } from "../engine/graph.js";
import type { Layer } from "./spec.js";

/**
 * Conv blocks (conv 3x3 + batch norm + ReLU, then 2x2 max pooling) with 32, 64, 128, 128 filters,
 * added while the feature map is larger than 7 pixels a side (at most four); then flatten when the
 * map is small (at most 4096 values), else global average pooling; a dense layer of 128; dropout.
 * For 28x28 Fashion-MNIST: 32@14x14 -> 64@7x7 -> 3136 -> 128 -> 10.
 */
export function defaultLayers(channels: number, height: number, width: number): Layer[] {
  const layers: Layer[] = [];
  const filters = [32, 64, 128, 128];
  let [h, w, c] = [height, width, channels];
  for (const f of filters) {
    if (Math.min(h, w) <= 7) break;
    layers.push({ type: "conv", filters: f, kernel: 3, stride: 1, padding: "same", dilation: 1, groups: 1, batchNorm: true, activation: "relu" });
    layers.push({ type: "maxpool", size: 2 });
    [h, w, c] = [Math.floor(h / 2), Math.floor(w / 2), f];
  }
  if (c * h * w > 4096) layers.push({ type: "globalavgpool" });
  layers.push({ type: "flatten" }, { type: "dense", units: 128, activation: "relu" }, { type: "dropout", rate: 0.25 });
  return layers;
}

/** Applies the layers to x [N, C, H, W]; the result is [N, features] for the output layer. */
export function cnnBody(b: Builder, layers: readonly Layer[], x: Value): Value {
  let h = x;
  layers.forEach((l, i) => {
    const name = `layer${i}`;
    switch (l.type) {
      case "conv":
        h = b.conv2d(h, l.filters, l.kernel, { stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups, bias: !l.batchNorm }, name);
        if (l.batchNorm) h = b.batchNorm2d(h, `${name}.bn`);
        h = b.activation(h, l.activation);
        break;
      case "maxpool":
        h = b.maxPool2d(h, l.size, { stride: l.stride ?? l.size });
        break;
      case "avgpool":
        h = b.avgPool2d(h, l.size, { stride: l.stride ?? l.size });
        break;
      case "globalavgpool":
        h = b.globalAvgPool(h);
        break;
      case "batchnorm":
        h = b.batchNorm2d(h, name);
        break;
      case "dropout":
        h = b.dropout(h, l.rate, `${name}.dropout`);
        break;
      case "flatten":
        h = b.flatten(h);
        break;
      case "dense":
        if (h.rank !== 2) h = b.flatten(h);
        h = b.activation(b.dense(h, l.units, name, l.activation === "relu" || l.activation === "gelu" ? "he" : "xavier"), l.activation);
        break;
    }
  });
  return h.rank === 2 ? h : b.flatten(h);
}
