// Holds DynamoDB Local's requests back for a moment. DynamoDB Local does not wait on a busy
// database: a request that finds it locked fails. The write-ahead log's checkpoint (see
// dynamodb-local.ts) locks it, so it runs only while every request is held here: the signature
// proxy's and the local runtime's handlers' (which talk to the JVM directly) alike.

export class RequestGate {
  private active = 0;
  private idle: (() => void) | undefined;
  private pause: Promise<void> | undefined;

  /** Requests at DynamoDB Local now. */
  get inFlight(): number {
    return this.active;
  }

  /** Before a request goes to DynamoDB Local: waits while a pause is on. */
  async enter(): Promise<void> {
    while (this.pause) await this.pause;
    this.active += 1;
  }

  /** Once its answer is in (or it failed); once per enter. */
  leave(): void {
    this.active -= 1;
    if (this.active === 0) this.idle?.();
  }

  /**
   * Runs `work` with no request at DynamoDB Local: new ones wait, those under way are answered first
   * (for up to `drainMs`; a request that hangs longer must not hold every other one back forever).
   */
  async paused<T>(work: () => Promise<T>, drainMs = 10_000): Promise<T> {
    while (this.pause) await this.pause;
    let release = (): void => undefined;
    this.pause = new Promise<void>((done) => (release = done));
    try {
      if (this.active > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((done) => {
          this.idle = done;
          timer = setTimeout(done, drainMs);
        });
        clearTimeout(timer);
        this.idle = undefined;
      }
      return await work();
    } finally {
      this.pause = undefined;
      release();
    }
  }
}
