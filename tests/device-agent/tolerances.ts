// Every numeric tolerance the device-agent tests use, in one table. An override elsewhere must say why.
export const tolerances = {
  /** Finite-difference step: large enough that float32 round-off (~1e-7 * |f| / h) stays small. */
  gradcheckStep: 1e-2,
  /** Max |analytic - numeric| relative to the largest numeric gradient component. */
  gradcheckRel: 1e-2,
  /** PyTorch alignment (the goal): per-step loss, relative. */
  alignLossRel: 1e-4,
  /** PyTorch alignment: final adapter values, absolute. */
  alignAdapterAbs: 1e-4,
  /** merge followed by unmerge restores weights up to float32 rounding of W + delta - delta. */
  mergeRoundTripAbs: 1e-6,
};
