// The integer types token ids are stored as (uint16 when the vocabulary fits, else uint32; int32 is
// read too), their sizes and largest ids. Not a file format: Arrow and .bin files both use these.

export type TokenDtype = 'uint16' | 'uint32' | 'int32';

export const DTYPES: readonly TokenDtype[] = ['uint16', 'uint32', 'int32'];

export function dtypeBytes(dtype: TokenDtype): 2 | 4 {
  return dtype === 'uint16' ? 2 : 4;
}

/** The largest id a dtype holds. */
export function dtypeMax(dtype: TokenDtype): number {
  return dtype === 'uint16' ? 0xffff : dtype === 'uint32' ? 0xffffffff : 0x7fffffff;
}
