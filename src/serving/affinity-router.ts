// Which worker runs a request: one that already has the model loaded if it is idle, else any idle
// worker (which then loads the model too). A model stays in one worker while that worker keeps up
// and spreads to more only when its requests would otherwise wait while a worker sits idle.

/** FNV-1a, 32 bits: a stable spread of keys over workers. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class AffinityRouter {
  /** Model key -> workers that served it, in the order they took it on; Map order = recency. */
  private readonly homes = new Map<string, number[]>();

  /**
   * @param workers number of workers, numbered 0..workers-1
   * @param maxKeys model keys remembered (oldest forgotten first); a forgotten key is routed afresh
   */
  constructor(
    private readonly workers: number,
    private readonly maxKeys: number,
  ) {}

  /**
   * The worker to run a request for model `key` on, among those `idle` accepts; undefined when none
   * is idle. An idle worker that has the model wins; else the first idle one counting from the key's
   * hash, which takes the model on.
   * @example const w = router.pick("iris/3", (i) => !busy[i]);
   */
  pick(key: string, idle: (worker: number) => boolean): number | undefined {
    const homes = this.homes.get(key) ?? [];
    let chosen = homes.find(idle);
    if (chosen === undefined) {
      const start = hash(key) % this.workers;
      for (let k = 0; k < this.workers && chosen === undefined; k++) {
        const w = (start + k) % this.workers;
        if (idle(w)) chosen = w;
      }
      if (chosen === undefined) return undefined;
      homes.push(chosen);
    }
    this.homes.delete(key);
    this.homes.set(key, homes);
    if (this.homes.size > this.maxKeys) this.homes.delete(this.homes.keys().next().value!);
    return chosen;
  }

  /** Forgets every model a worker had (it was replaced, and its sessions with it). */
  forget(worker: number): void {
    for (const [key, homes] of this.homes) {
      const rest = homes.filter((w) => w !== worker);
      if (rest.length) this.homes.set(key, rest);
      else this.homes.delete(key);
    }
  }
}
