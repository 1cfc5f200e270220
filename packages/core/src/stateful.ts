// The stateful protocol (torchtitan's Stateful): every piece a checkpoint saves (optimizer moments,
// sampler cursor, cost accounting, the run's own record) hands out its state and takes it back.
// Not the checkpoint format (checkpoint.ts) and not where each state is stored (the trainer decides).

export interface Stateful<S> {
  /** A snapshot of the state: plain JSON or host tensors, never live engine handles. */
  stateDict(): S;
  /**
   * Continues from a snapshot that stateDict took, so the next step is the one an uninterrupted run
   * would take. Throws naming what does not fit; `source` (a checkpoint path) goes into the message.
   */
  loadStateDict(state: S, source?: string): void;
}
