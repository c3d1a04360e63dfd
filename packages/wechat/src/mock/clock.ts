/**
 * The mock's notion of now: a base clock (Date.now, or one a test injects) plus an offset that
 * POST /mock/clock moves forward. Code and token lifetimes and watermark timestamps all read it, so
 * a test in another process can expire things without waiting.
 */
export class MockClock {
  private offsetMs = 0;

  constructor(private readonly base: () => number) {}

  /** Bound, so it can be handed around as a plain function. */
  readonly now = (): number => this.base() + this.offsetMs;

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  get offset(): number {
    return this.offsetMs;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
