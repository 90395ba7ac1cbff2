/**
 * Work spread over turns of the event loop: at most `perTurn` jobs run per turn, and the loop
 * serves I/O (publishers, API calls, other tenants) between turns. Used where a burst would
 * otherwise run in one turn: relay starts, and ffmpeg spawns.
 */
export class PacedQueue {
  private readonly waiting = new Set<() => void>();
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  /** Runs `job` on a later turn; the returned function cancels it if it has not run yet. */
  enqueue(job: () => void): () => void {
    this.waiting.add(job);
    this.schedule();
    return () => this.waiting.delete(job);
  }

  get length(): number {
    return this.waiting.size;
  }

  clear(): void {
    this.waiting.clear();
  }

  private schedule() {
    if (this.scheduled || this.waiting.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.runBatch());
  }

  private runBatch() {
    this.scheduled = false;
    let ran = 0;
    for (const job of this.waiting) {
      if (ran++ >= this.perTurn) break;
      this.waiting.delete(job);
      job();
    }
    this.schedule();
  }
}

/**
 * `spawn` is synchronous (fork + exec of ffmpeg take 5–40 ms on a busy machine), so a burst of
 * workers spawned in one turn would freeze the event loop for seconds: every ffmpeg worker
 * (relays, transcoders, snapshotters, recorders) is spawned through this one queue, one per turn.
 */
export const spawnQueue = new PacedQueue(1);
