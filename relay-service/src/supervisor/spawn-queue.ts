/**
 * `spawn` is synchronous (fork + exec of ffmpeg take 5–40 ms on a busy machine), so a burst of
 * workers spawned in one turn would freeze the event loop for seconds. Every ffmpeg worker is
 * spawned through this queue instead: one spawn per turn, the rest wait their turn while
 * publishers, API calls and in-process relays run in between.
 */
export class SpawnQueue {
  private readonly waiting = new Set<() => void>();
  private scheduled = false;

  /** Runs `spawn` on a later turn; the returned function cancels it if it has not run yet. */
  enqueue(spawn: () => void): () => void {
    this.waiting.add(spawn);
    this.schedule();
    return () => this.waiting.delete(spawn);
  }

  get length(): number {
    return this.waiting.size;
  }

  private schedule() {
    if (this.scheduled || this.waiting.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.runOne());
  }

  private runOne() {
    this.scheduled = false;
    const next = this.waiting.values().next();
    if (!next.done) {
      this.waiting.delete(next.value);
      next.value();
    }
    this.schedule();
  }
}

/** The service's one queue: all ffmpeg workers (relays, transcoders, snapshotters, recorders) share it. */
export const spawnQueue = new SpawnQueue();
