// One budget of bytes shared by every connection of a server: what unauthenticated
// peers can make the service hold (incomplete RTMP messages) is bounded globally,
// not only per connection, so many connections cannot add up to unbounded memory.
//
// When the budget runs out, the biggest holder is evicted rather than whoever asks
// next: an attacker trickling huge messages holds far more than a publisher whose
// messages complete in milliseconds, so the publisher keeps going.

export interface BudgetHolder {
  /** Called when this holder must go; it gives its bytes back (synchronously). */
  evict(): void;
}

export class ByteBudget {
  private used = 0;
  private readonly held = new Map<BudgetHolder, number>();

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes for `holder`, evicting bigger holders if needed; false when `holder` is itself the biggest. */
  tryTake(holder: BudgetHolder, n: number): boolean {
    while (this.used + n > this.limit) {
      const victim = this.biggestOther(holder, (this.held.get(holder) ?? 0) + n);
      if (!victim) return false;
      victim.evict();
      this.giveAll(victim); // in case evict() did not
    }
    this.used += n;
    this.held.set(holder, (this.held.get(holder) ?? 0) + n);
    return true;
  }

  give(holder: BudgetHolder, n: number): void {
    const has = this.held.get(holder) ?? 0;
    const back = Math.min(has, n);
    this.used -= back;
    if (has - back === 0) this.held.delete(holder);
    else this.held.set(holder, has - back);
  }

  giveAll(holder: BudgetHolder): void {
    this.give(holder, this.held.get(holder) ?? 0);
  }

  /** The holder with the most bytes, if it holds more than `than`. */
  private biggestOther(holder: BudgetHolder, than: number): BudgetHolder | undefined {
    let best: BudgetHolder | undefined;
    let most = than;
    for (const [h, bytes] of this.held) {
      if (h !== holder && bytes > most) {
        best = h;
        most = bytes;
      }
    }
    return best;
  }
}
