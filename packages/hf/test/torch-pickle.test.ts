// pytorch_model.bin read without running it: files torch.save wrote (scripts/fixtures/torch_pickles.py), zip and
// legacy, every storage dtype, views with offsets and strides; refusals of foreign globals, opcodes outside a state
// dict's, hand-made malformed pickles and truncated files. Not import parity (parity.test.ts runs the bin fixtures).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchCheckpoint } from '../src/index.js';
import { BufferSource } from '../src/torch-save/byte-source.js';
import { PyDict, unpickle } from '../src/torch-save/restricted-unpickler.js';
import { TensorRef, stateDictRules, storageOf } from '../src/torch-save/torch-pickle-rules.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/torch-pickles', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'hf-torch-pickle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What torch.save was given, contiguous (floats as F32, integers and bools as I32). */
function expected(): Map<string, { shape: readonly number[]; data: number[] }> {
  const f = SafetensorsFile.open(join(FIXTURES, 'state-dict.safetensors'));
  try {
    return new Map([...f.entries.keys()].map((n) => [n, { shape: f.read(n).shape, data: Array.from(f.read(n).data) }]));
  } finally {
    f.close();
  }
}

const DTYPES = { f32: 'F32', f16: 'F16', bf16: 'BF16', f64: 'F64', i64: 'I64', bool: 'BOOL', base: 'F32', transposed: 'F32' };

/** Opening `path` must fail with one line matching `message`. */
async function refused(path: string, message: RegExp): Promise<string> {
  const e = await TorchCheckpoint.open(path).then(
    () => null,
    (err: Error) => err,
  );
  expect(e, `${path} opened`).not.toBeNull();
  expect(e!.message).toMatch(message);
  expect(e!.message).not.toContain('\n');
  return e!.message;
}

function truncatedCopy(name: string, bytes: number): string {
  const path = join(root, `${bytes}-${name}`);
  writeFileSync(path, readFileSync(join(FIXTURES, name)).subarray(0, bytes));
  return path;
}

describe('torch.save files, zip and legacy', () => {
  for (const file of ['state-dict.pt', 'state-dict-legacy.pt']) {
    it(`${file}: every tensor as torch saved it, views gathered by offset and stride`, async () => {
      const want = expected();
      const c = await TorchCheckpoint.open(join(FIXTURES, file));
      try {
        expect([...c.tensors.keys()]).toEqual([...want.keys()]); // file order
        for (const [name, dtype] of Object.entries(DTYPES)) expect(c.tensors.get(name)!.dtype, name).toBe(dtype);
        for (const [name, w] of want) {
          const t = c.read(name);
          expect(t.shape, name).toEqual(w.shape);
          expect(Array.from(t.data), name).toEqual(w.data);
        }
        // the views read base's storage: arange(24).reshape(4, 6)
        expect(Array.from(c.read('sliced').data)).toEqual([8, 9, 10, 14, 15, 16]);
        expect(Array.from(c.read('transposed').data).slice(0, 5)).toEqual([0, 6, 12, 18, 1]);
        expect(Array.from(c.read('stepped').data).slice(0, 4)).toEqual([0, 2, 4, 6]);
        expect(c.read('scalar').shape).toEqual([]);
        expect(c.read('empty').shape).toEqual([0, 3]);
      } finally {
        c.close();
      }
    });
  }
});

describe('refused in one line, nothing run', () => {
  it('a pickle naming a foreign global (os.system), by name', async () => {
    const message = await refused(
      join(FIXTURES, 'foreign-global.pt'),
      /foreign-global.pt: refused: its pickle names the global posix.system \(at byte \d+\), which a state dict of tensors never uses \(allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, .*\); nothing was run$/,
    );
    expect(message).toContain('torch._utils._rebuild_parameter');
  });

  it('a legacy file whose first pickle calls builtins.exec', async () => {
    const path = join(root, 'exec.bin');
    writeFileSync(path, Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cbuiltins\nexec\nX\x04\x00\x00\x00True\x85R.', 'latin1')]));
    await refused(
      path,
      /exec.bin: refused: its pickle names the global builtins.exec \(at byte 2\).*\(allowed: no globals in this part of the file\)/,
    );
  });

  it('opcodes torch.save does not write by default (protocol 4), by name', async () => {
    await refused(
      join(FIXTURES, 'protocol-4.pt'),
      /refused: its pickle uses opcode FRAME \(0x95, at byte 2\), which torch's state-dict pickles/,
    );
  });

  it('a truncated zip archive', async () => {
    const size = statSync(join(FIXTURES, 'state-dict.pt')).size;
    for (const bytes of [size - 10, Math.floor(size / 2), 100])
      await refused(truncatedCopy('state-dict.pt', bytes), /refused: is not a complete zip archive \(truncated\? download it again\): /);
  });

  it('a truncated legacy file, in its storages or in its pickle', async () => {
    const size = statSync(join(FIXTURES, 'state-dict-legacy.pt')).size;
    await refused(
      truncatedCopy('state-dict-legacy.pt', size - 1),
      /refused: storage \S+ ends at byte \d+ but the file has \d+ \(truncated\? download it again\)$/,
    );
    await refused(
      truncatedCopy('state-dict-legacy.pt', 600),
      /refused: its pickle \(from byte \d+\) is cut short: it ends at byte 600 \(truncated\? download it again\)$/,
    );
  });

  it('a zip archive whose members are compressed (torch.save stores them as they are)', async () => {
    await refused(
      join(FIXTURES, 'compressed.pt'),
      /compressed.pt: refused: member compressed\/data.pkl is compressed \(method 8\); torch.save stores its members as they are/,
    );
  });

  it('a file that is neither format', async () => {
    const path = join(root, 'text.bin');
    copyFileSync(join(FIXTURES, 'state-dict.safetensors'), path);
    await refused(path, /refused: is neither a zip archive \(torch.save since PyTorch 1.6\) nor a legacy torch.save file$/);
  });
});

/** A pickle assembled from opcodes: strings are latin-1, numbers bytes. */
const pickle = (...parts: (string | number[])[]): BufferSource =>
  new BufferSource(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));
const unicode = (s: string): string => `X${String.fromCharCode(s.length)}\x00\x00\x00${s}`;
const rules = stateDictRules((pid) => storageOf(pid, pid.items[2], pid.items[4]));
/** ('storage', torch.FloatStorage, '0', 'cpu', 4) as a persistent id. */
const STORAGE = `(${unicode('storage')}ctorch\nFloatStorage\n${unicode('0')}${unicode('cpu')}K\x04tQ`;
const HOOKS = 'ccollections\nOrderedDict\n)R';

describe('the unpickler, on hand-made pickles', () => {
  it('decodes a tensor view of a persistent storage', () => {
    const v = unpickle(pickle('\x80\x02', `ctorch._utils\n_rebuild_tensor_v2\n(${STORAGE}K\x01K\x02\x85K\x01\x85\x89${HOOKS}tR.`), rules);
    expect(v).toBeInstanceOf(TensorRef);
    expect({ ...(v as TensorRef), storage: (v as TensorRef).storage.key }).toEqual({ storage: '0', offset: 1, shape: [2], stride: [1] });
  });

  it('refuses what a state dict never does, naming it', () => {
    const cases: [BufferSource, RegExp][] = [
      [pickle('\x80\x02', 'ccollections\nOrderedDict\n)\x81.'), /opcode NEWOBJ \(0x81, at byte \d+\)/],
      [pickle('\x80\x02', '(ccollections\nOrderedDict\ni.'), /opcode INST/],
      [pickle('\x80\x02', 'ctorch\nFloatStorage\n)R.'), /calls torch.FloatStorage \(at byte \d+\), which is not a call a state dict makes/],
      [pickle('\x80\x02', ']}b.'), /sets the state of a list at byte \d+; only a dict's attributes may be set/],
      [pickle('\x80\x02', ']K\x01K\x02s.'), /sets items on a list at byte \d+; only dicts take items/],
      [pickle('\x80\x02', `${unicode('abc')}Q.`), /refers to string outside itself; only storages may be/],
      [pickle('\x80\x02', 'h\x05.'), /malformed at byte 2: memo 5 was never stored/],
      [pickle('\x80\x02', 't.'), /malformed at byte 2: TUPLE without a MARK/],
      [pickle('\x80\x02', '}'), /cut short: it ends at byte 3/],
      [pickle('\xff'), /holds byte 0xff at byte 0, which is no pickle opcode/],
      [pickle('\x80\x02X\x01\x00\x00\x00\xff.'), /malformed at byte 2: a string that is not UTF-8/],
      [pickle('\x80\x02c', 'x'.repeat(5000)), /malformed: a GLOBAL name runs past 4096 bytes/],
      [
        pickle('\x80\x02', `ctorch._utils\n_rebuild_tensor_v2\n(${STORAGE}K\x03K\x02\x85K\x01\x85\x89${HOOKS}tR.`),
        /a tensor \[2\] at offset 3 with strides \[1\] reads element 4 of storage 0, which has 4/,
      ],
      [
        pickle('\x80\x02', `ctorch._utils\n_rebuild_tensor_v2\n(${STORAGE}K\x00K\x02\x85K\x01\x85\x89}K\x01K\x02stR.`),
        /a tensor carries backward hooks/,
      ],
    ];
    for (const [source, message] of cases) expect(() => unpickle(source, rules), String(message)).toThrow(message);
  });

  it("keeps an OrderedDict's attributes (a state dict's _metadata) without calling anything", () => {
    const v = unpickle(pickle('\x80\x02', `ccollections\nOrderedDict\n)R}${unicode('_metadata')}K\x07sb.`), rules) as PyDict;
    expect(v.attributes.get('_metadata')).toBe(7);
  });
});
