// Trains a byte-level BPE: counts pre-tokenized words, then repeatedly merges the most frequent
// adjacent pair, updating pair counts incrementally (only words holding the pair are touched).
// Not an encoder (bpe-tokenizer.ts) and not corpus reading (prepare/bpe-corpus.ts).

import { forEachPiece } from './pretokenize.js';

/** Counts of pre-tokenized words (GPT-2 regex) over the texts added. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  chars = 0;

  add(text: string): void {
    this.chars += text.length;
    forEachPiece(text, (start, end) => {
      const w = text.slice(start, end);
      this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
    });
  }
}

/** Max-heap of (count, pair) with ties broken by the smaller pair, so training is deterministic. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.counts.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const last = this.counts.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.above(l, best)) best = l;
      if (r < last && this.above(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}

export interface BpeTrainResult {
  /** Merges in order: merge i creates id 256 + i from the pair (left, right). */
  merges: Array<[number, number]>;
}

/** Merges `a b` into `id` wherever it occurs in `s` (left to right, non-overlapping). */
function mergeWord(s: number[], a: number, b: number, id: number): number[] {
  const merged: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === a && s[i + 1] === b) {
      merged.push(id);
      i++;
    } else merged.push(s[i]!);
  }
  return merged;
}

/** Words as symbol lists, the count of every adjacent pair, and which words hold each pair. */
class PairIndex {
  readonly words: number[][] = [];
  readonly freq: number[] = [];
  readonly pairCount = new Map<number, number>();
  readonly where = new Map<number, number[]>();
  /** Pairs holding the newest id, to queue after a merge. */
  readonly fresh = new Set<number>();

  constructor(
    counts: ReadonlyMap<string, number>,
    /** pair key = left * K + right */
    readonly K: number,
  ) {
    const encoder = new TextEncoder();
    for (const [w, c] of counts) {
      this.words.push(Array.from(encoder.encode(w)));
      this.freq.push(c);
    }
    for (let w = 0; w < this.words.length; w++) this.addPairs(w, 1, -1);
  }

  /** Adds (sign 1) or removes (-1) the pairs of word w; with `only` >= 0, indexes only pairs holding it. */
  addPairs(w: number, sign: 1 | -1, only: number): void {
    const s = this.words[w]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i]! * this.K + s[i + 1]!;
      this.pairCount.set(key, (this.pairCount.get(key) ?? 0) + sign * this.freq[w]!);
      if (sign > 0 && (only < 0 || s[i] === only || s[i + 1] === only)) {
        if (only >= 0) this.fresh.add(key);
        const list = this.where.get(key);
        if (list) list.push(w);
        else this.where.set(key, [w]);
      }
    }
  }

  /** Applies merge `key` -> id to every word holding it, updating pair counts incrementally. */
  merge(key: number, id: number): void {
    const a = Math.floor(key / this.K);
    const b = key % this.K;
    for (const w of this.where.get(key) ?? []) {
      const s = this.words[w]!;
      if (!s.some((x, i) => x === a && s[i + 1] === b)) continue; // already merged (duplicate entry)
      this.addPairs(w, -1, -1);
      this.words[w] = mergeWord(s, a, b, id);
      this.addPairs(w, 1, id);
    }
    this.where.delete(key);
    this.pairCount.delete(key);
  }
}

/** Learns up to `numMerges` merges from word counts (ids 0-255 are the bytes). */
export function trainBpe(counts: ReadonlyMap<string, number>, numMerges: number): BpeTrainResult {
  const index = new PairIndex(counts, 256 + numMerges);
  const heap = new PairHeap();
  for (const [key, c] of index.pairCount) heap.push(c, key);
  const merges: Array<[number, number]> = [];
  while (merges.length < numMerges && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = index.pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key); // stale entry: re-queue with the true count
      continue;
    }
    if (count < 1) break;
    merges.push([Math.floor(key / index.K), key % index.K]);
    index.merge(key, 256 + merges.length - 1);
    for (const k of index.fresh) heap.push(index.pairCount.get(k)!, k);
    index.fresh.clear();
  }
  return { merges };
}
