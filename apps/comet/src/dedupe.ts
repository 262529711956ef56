/**
 * A bounded set of recently seen push message ids. Job may redeliver a message after a
 * failed ack (at-least-once, spec §10.23); the comet drops a repeated id so clients see it
 * once. goim had no message ids.
 */
export class RecentIds {
  private readonly seen = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  /** @param capacity ids remembered (oldest forgotten first); 0 disables the check. */
  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** Whether `id` was already recorded ('' — no id — never is). */
  has(id: string): boolean {
    return id !== '' && this.seen.has(id);
  }

  /** Records `id` ('' and a disabled set ignore it). */
  add(id: string): void {
    if (id === '' || this.capacity === 0 || this.seen.has(id)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.seen.delete(old);
    this.ring[this.next] = id;
    this.seen.add(id);
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.seen.size;
  }
}
