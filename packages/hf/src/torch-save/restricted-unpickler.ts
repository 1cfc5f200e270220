// A pickle decoder that knows only the opcodes of a protocol-2 state dict (torch's weights_only unpickler's set) and
// the globals its caller allows; it builds plain values and calls nothing from the file. Not torch-specific.

import { EndOfBytesError, LineTooLongError, type ByteSource } from './byte-source.js';

/** A refused or malformed pickle, said in one line (the caller adds the file). */
export class RefusedPickleError extends Error {
  override name = 'RefusedPickleError';
}

/** A Python tuple (arrays are lists). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A reference to a module attribute, e.g. torch.FloatStorage: a name, never imported or called. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A dict or collections.OrderedDict; `attributes` holds what BUILD set on an OrderedDict (a state dict's _metadata). */
export class PyDict {
  readonly entries = new Map<unknown, unknown>();
  readonly attributes = new Map<string, unknown>();
}

export interface UnpickleRules {
  /** Globals a REDUCE may call, by full name: what the call stands for, built from its arguments. */
  calls: ReadonlyMap<string, (args: readonly unknown[]) => unknown>;
  /** Globals that may only appear as values (passed to a call or inside a persistent id), never called. */
  references: ReadonlySet<string>;
  /** BINPERSID: what a persistent id stands for. */
  persistentLoad(pid: unknown): unknown;
  /** What is allowed, for refusals: "collections.OrderedDict, torch._utils._rebuild_tensor_v2, ...". */
  allowed: string;
}

/** Every pickle opcode by byte, so a refusal can name the one it met. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x29: 'EMPTY_TUPLE', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x46: 'FLOAT', 0x47: 'BINFLOAT', 0x49: 'INT', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG',
  0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x5d: 'EMPTY_LIST', 0x61: 'APPEND', 0x62: 'BUILD',
  0x63: 'GLOBAL', 0x64: 'DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE',
  0x75: 'SETITEMS', 0x7d: 'EMPTY_DICT', 0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS',
  0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
}; // prettier-ignore

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a value is, for messages. */
export function describePy(v: unknown): string {
  if (v instanceof PyGlobal) return v.fullName;
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PyTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'None';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}

/** Decodes one pickle from `source` up to its STOP; the bytes after it are left unread. */
export function unpickle(source: ByteSource, rules: UnpickleRules): unknown {
  const start = source.position;
  try {
    return run(source, rules);
  } catch (e) {
    if (e instanceof LineTooLongError) throw new RefusedPickleError(`its pickle (from byte ${start}) is malformed: ${e.message}`);
    if (e instanceof EndOfBytesError)
      throw new RefusedPickleError(`its pickle (from byte ${start}) is cut short: it ${e.message} (truncated? download it again)`);
    throw e;
  }
}

function run(source: ByteSource, rules: UnpickleRules): unknown {
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const malformed = (at: number, why: string): never => {
    throw new RefusedPickleError(`its pickle is malformed at byte ${at}: ${why}`);
  };
  for (;;) {
    const at = source.position;
    const op = source.byte();
    const pop = (): unknown => (stack.length > 0 ? stack.pop() : malformed(at, `${OPCODE_NAMES[op]} on an empty stack`));
    const top = (): unknown => (stack.length > 0 ? stack[stack.length - 1] : malformed(at, `${OPCODE_NAMES[op]} on an empty stack`));
    const popMark = (): unknown[] => {
      const items = stack;
      const below = marks.pop();
      if (below === undefined) malformed(at, `${OPCODE_NAMES[op]} without a MARK`);
      stack = below!;
      return items;
    };
    const dictOnTop = (): PyDict => {
      const d = top();
      if (!(d instanceof PyDict))
        throw new RefusedPickleError(`its pickle sets items on ${describePy(d)} at byte ${at}; only dicts take items`);
      return d;
    };
    const listOnTop = (): unknown[] => {
      const l = top();
      if (!Array.isArray(l)) throw new RefusedPickleError(`its pickle appends to ${describePy(l)} at byte ${at}; only lists take items`);
      return l;
    };
    const view = (n: number): DataView => {
      const b = source.bytes(n);
      return new DataView(b.buffer, b.byteOffset, n);
    };
    switch (op) {
      case 0x80: // PROTO
        if (source.byte() > 5) malformed(at, 'an unknown protocol');
        break;
      case 0x2e: // STOP
        if (marks.length > 0) malformed(at, 'STOP inside a MARK');
        return pop();
      case 0x63: {
        // GLOBAL: a name only; allowed ones become references, the rest are refused by name
        const module = source.line();
        const name = source.line();
        const fullName = `${module}.${name}`;
        if (!rules.calls.has(fullName) && !rules.references.has(fullName))
          throw new RefusedPickleError(
            `its pickle names the global ${fullName} (at byte ${at}), which a state dict of tensors never uses (allowed: ${rules.allowed}); nothing was run`,
          );
        stack.push(new PyGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: only an allowed call, on a tuple of arguments
        const args = pop();
        const f = pop();
        const call = f instanceof PyGlobal ? rules.calls.get(f.fullName) : undefined;
        if (!call)
          throw new RefusedPickleError(
            `its pickle calls ${describePy(f)} (at byte ${at}), which is not a call a state dict makes (allowed: ${rules.allowed})`,
          );
        if (!(args instanceof PyTuple)) malformed(at, `${(f as PyGlobal).fullName} called with ${describePy(args)}, not a tuple`);
        stack.push(call((args as PyTuple).items));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attributes (a state dict's _metadata)
        const state = pop();
        const inst = top();
        if (!(inst instanceof PyDict) || !(state instanceof PyDict))
          throw new RefusedPickleError(
            `its pickle sets the state of ${describePy(inst)} at byte ${at}; only a dict's attributes may be set`,
          );
        for (const [k, v] of (state as PyDict).entries) (inst as PyDict).attributes.set(String(k), v);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(rules.persistentLoad(pop()));
        break;
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: {
        // TUPLE (popMark replaces the stack: take the items before pushing)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        listOnTop().push(item);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        listOnTop().push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        dictOnTop().entries.set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) malformed(at, 'SETITEMS with an odd number of items');
        const d = dictOnTop();
        for (let i = 0; i < items.length; i += 2) d.entries.set(items[i], items[i + 1]);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view(4).getInt32(0, true));
        break;
      case 0x4b: // BININT1
        stack.push(source.byte());
        break;
      case 0x4d: // BININT2
        stack.push(view(2).getUint16(0, true));
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const bytes = source.bytes(source.byte());
        let v = 0n;
        for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
        if (bytes.length > 0 && bytes[bytes.length - 1]! >= 0x80) v -= 1n << BigInt(8 * bytes.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view(8).getFloat64(0, false));
        break;
      case 0x58: {
        // BINUNICODE
        const n = view(4).getUint32(0, true);
        try {
          stack.push(utf8.decode(source.bytes(n)));
        } catch (e) {
          if (e instanceof EndOfBytesError) throw e;
          malformed(at, 'a string that is not UTF-8');
        }
        break;
      }
      case 0x55: // SHORT_BINSTRING (Python 2 str: latin-1)
        stack.push(String.fromCharCode(...source.bytes(source.byte())));
        break;
      case 0x71: // BINPUT
        memo.set(source.byte(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view(4).getUint32(0, true), top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? source.byte() : view(4).getUint32(0, true);
        if (!memo.has(i)) malformed(at, `memo ${i} was never stored`);
        stack.push(memo.get(i));
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        throw new RefusedPickleError(
          name
            ? `its pickle uses opcode ${name} (0x${op.toString(16)}, at byte ${at}), which torch's state-dict pickles (protocol 2) never use; ` +
                'save it again with torch.save and its default protocol'
            : `its pickle holds byte 0x${op.toString(16)} at byte ${at}, which is no pickle opcode (not a pickle, or corrupt)`,
        );
      }
    }
  }
}
