// A stopwatch that can be paused, so that checking results is never timed.
export class Clock {
  total = 0
  #t0 = 0
  start() {
    this.#t0 = performance.now()
  }
  stop() {
    this.total += performance.now() - this.#t0
  }
}
