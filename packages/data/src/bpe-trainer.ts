// Trains a byte-level BPE: counts pre-tokenized words, then repeatedly merges the most frequent
// adjacent pair, updating pair counts incrementally (only words holding the pair are touched).
// Not an encoder (bpe-tokenizer.ts) and not corpus reading (bpe-corpus.ts).

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
    for (let i = this.counts.length - 1; i > 0; ) {
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
    for (let i = 0; ; ) {
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

/** Learns up to `numMerges` merges from word counts (ids 0-255 are the bytes). */
export function trainBpe(counts: ReadonlyMap<string, number>, numMerges: number): BpeTrainResult {
  const K = 256 + numMerges; // pair key = left * K + right
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of counts) {
    words.push(Array.from(encoder.encode(w)));
    freq.push(c);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const fresh = new Set<number>(); // pairs holding the newest id, to queue after a merge
  const addPairs = (w: number, sign: 1 | -1, only: number): void => {
    const s = words[w]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i]! * K + s[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[w]!);
      if (sign > 0 && (only < 0 || s[i] === only || s[i + 1] === only)) {
        if (only >= 0) fresh.add(key);
        const list = where.get(key);
        if (list) list.push(w);
        else where.set(key, [w]);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1, -1);
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);
  const merges: Array<[number, number]> = [];
  while (merges.length < numMerges && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key); // stale entry: re-queue with the true count
      continue;
    }
    if (count < 1) break;
    const a = Math.floor(key / K);
    const b = key % K;
    const id = 256 + merges.length;
    merges.push([a, b]);
    for (const w of where.get(key) ?? []) {
      const s = words[w]!;
      if (!s.some((x, i) => x === a && s[i + 1] === b)) continue; // already merged (duplicate entry)
      addPairs(w, -1, -1);
      const merged: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (s[i] === a && s[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(s[i]!);
      }
      words[w] = merged;
      addPairs(w, 1, id);
    }
    where.delete(key);
    pairCount.delete(key);
    for (const k of fresh) heap.push(pairCount.get(k)!, k);
    fresh.clear();
  }
  return { merges };
}
