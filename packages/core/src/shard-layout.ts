// How a list of tensors is cut into one flat shard per rank (ZeRO's partition): the tensors in buckets, each
// bucket's concatenation cut into worldSize equal pieces (the last zero-padded), rank r owning piece r of every
// bucket. The process group's reduceScatter and allGather move data in this layout. Not the collectives.

/** PyTorch DDP's bucket (bucket_cap_mb = 25), in float32 elements. */
export const DEFAULT_BUCKET_ELEMENTS = (25 * 1024 * 1024) / 4;

/** One run of a tensor's elements (in row-major order) that lies in this rank's shard. */
export interface ShardSegment {
  /** Index of the tensor in the list the layout was made for. */
  tensor: number;
  /** First element of the run inside the tensor (flattened). */
  start: number;
  length: number;
  /** Where the run sits in the rank's flat shard. */
  shardOffset: number;
}

export interface ShardLayout {
  worldSize: number;
  rank: number;
  /** Tensors per bucket, in order: what reduceScatter and allGather take. */
  bucketCounts: number[];
  /** Elements of this rank's shard (its piece of every bucket, padding included). */
  shardNumel: number;
  /** The tensor elements this rank owns, in shard order; the rest of the shard is padding. */
  segments: ShardSegment[];
}

/**
 * Buckets are runs of consecutive tensors of at most bucketElements (a bigger tensor goes alone, as in
 * allReduce); a bucket of L elements gives each rank S = ceil(L / worldSize) of them: rank r owns
 * [r·S, min((r+1)·S, L)) of the bucket's concatenation.
 */
export function shardLayout(
  numels: readonly number[],
  worldSize: number,
  rank: number,
  bucketElements = DEFAULT_BUCKET_ELEMENTS,
): ShardLayout {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`worldSize must be a positive integer (got ${worldSize})`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new Error(`rank must be in [0, ${worldSize - 1}] (got ${rank})`);
  const buckets: number[][] = [];
  let bucketNumel = 0;
  numels.forEach((n, i) => {
    if (buckets.length === 0 || bucketNumel + n > bucketElements) {
      buckets.push([]);
      bucketNumel = 0;
    }
    buckets.at(-1)!.push(i);
    bucketNumel += n;
  });
  const segments: ShardSegment[] = [];
  let shardNumel = 0;
  for (const bucket of buckets) {
    const total = bucket.reduce((a, i) => a + numels[i]!, 0);
    const piece = Math.ceil(total / worldSize);
    const [from, to] = [rank * piece, Math.min((rank + 1) * piece, total)];
    let at = 0; // the bucket-relative offset of the tensor's first element
    for (const i of bucket) {
      const [lo, hi] = [Math.max(from, at), Math.min(to, at + numels[i]!)];
      if (hi > lo) segments.push({ tensor: i, start: lo - at, length: hi - lo, shardOffset: shardNumel + lo - from });
      at += numels[i]!;
    }
    shardNumel += piece;
  }
  return { worldSize, rank, bucketCounts: buckets.map((b) => b.length), shardNumel, segments };
}
