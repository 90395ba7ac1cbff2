/**
 * Bounded concurrency shared fairly: at most `maxTotal` holders, at most `maxPerKey` per key
 * (domain), and waiting keys served round-robin, so a domain whose receivers are slow holds at
 * most its share and never delays another domain's deliveries beyond one turn.
 */
export class FairLimiter {
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerKey: number,
  ) {}

  /** Resolves with the release function once a slot is free. */
  acquire(key: string): Promise<() => void> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push(() => resolve(this.releaser(key)));
      this.waiting.set(key, queue);
      this.grant();
    });
  }

  get inUse(): number {
    return this.active;
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const n = (this.activeByKey.get(key) ?? 1) - 1;
      if (n === 0) this.activeByKey.delete(key);
      else this.activeByKey.set(key, n);
      this.grant();
    };
  }

  /** One grant per waiting key per pass; a served key goes to the back of the line. */
  private grant(): void {
    let granted = true;
    while (granted && this.active < this.maxTotal) {
      granted = false;
      for (const key of [...this.waiting.keys()]) {
        if (this.active >= this.maxTotal) return;
        if ((this.activeByKey.get(key) ?? 0) >= this.maxPerKey) continue;
        const queue = this.waiting.get(key)!;
        const next = queue.shift()!;
        this.waiting.delete(key);
        if (queue.length > 0) this.waiting.set(key, queue);
        this.active++;
        this.activeByKey.set(key, (this.activeByKey.get(key) ?? 0) + 1);
        granted = true;
        next();
      }
    }
  }
}
