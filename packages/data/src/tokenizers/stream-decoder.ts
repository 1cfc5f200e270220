// Decodes ids one at a time into text that can be printed as it comes: a UTF-8 character split over
// several byte tokens is held back until its last byte arrives. Not a tokenizer (it wraps one).

import type { Tokenizer } from './tokenizer.js';

const REPLACEMENT = 0xfffd;

/**
 * push(id) returns the text the new id completes ('' while a character is unfinished); flush()
 * returns what is left at the end. The pieces joined equal tokenizer.decode(all ids).
 */
export class StreamDecoder {
  private readonly ids: number[] = [];
  /** Characters of decode(ids) already returned. */
  private emitted = 0;

  constructor(private readonly tokenizer: Tokenizer) {}

  push(id: number): string {
    this.ids.push(id);
    const text = this.tokenizer.decode(this.ids);
    // an unfinished UTF-8 sequence at the end decodes to U+FFFD: wait for the bytes that complete it
    let end = text.length;
    while (end > this.emitted && text.charCodeAt(end - 1) === REPLACEMENT) end--;
    return this.take(text, end);
  }

  flush(): string {
    const text = this.tokenizer.decode(this.ids);
    return this.take(text, text.length);
  }

  private take(text: string, end: number): string {
    const out = text.slice(this.emitted, end);
    this.emitted = Math.max(this.emitted, end);
    return out;
  }
}
