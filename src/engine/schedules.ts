// Learning-rate schedules: the rate for a given optimizer step, computed on the host and fed to the
// training-step graph as a scalar input.

export type ScheduleConfig =
  | { kind: "constant" }
  /** lr * gamma^floor(epoch / everyEpochs) */
  | { kind: "step"; everyEpochs: number; gamma?: number }
  /** minLr + (lr - minLr) * (1 + cos(pi * t / T)) / 2 over all T steps of training */
  | { kind: "cosine"; minLr?: number };

export interface ScheduleClock {
  /** 0-based optimizer step. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** Steps in the whole run (epochs x batches per epoch). */
  totalSteps: number;
}

/** The learning rate at a point of training. */
export function learningRate(schedule: ScheduleConfig, baseLr: number, clock: ScheduleClock): number {
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "step":
      return baseLr * Math.pow(schedule.gamma ?? 0.1, Math.floor(clock.epoch / schedule.everyEpochs));
    case "cosine": {
      const minLr = schedule.minLr ?? 0;
      const t = Math.min(clock.step / Math.max(1, clock.totalSteps), 1);
      return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
    }
  }
}
