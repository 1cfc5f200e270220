// Numeric codes of the addon's generic unary and binary op calls (one N-API entry each, dispatched in C++).
// Not the op list of the Backend interface: these must match the enums in native/ops-required.cpp.

export const UNARY = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  tanh: 4,
  sigmoid: 5,
  gelu: 6,
  silu: 7,
  softmax: 8,
  logSoftmax: 9,
  erf: 10,
  relu: 11,
  geluExact: 12,
} as const;

export const BINARY = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  equal: 4,
} as const;

/** dtype codes crossing the boundary: 0 float32 (any float type inside), 1 int32. */
export const DTYPE_CODE = { float32: 0, int32: 1 } as const;
