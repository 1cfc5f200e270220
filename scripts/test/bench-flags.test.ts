// Tests of the benchmark scripts' flag reader (benchmarks/flags.ts): values and defaults of each kind, the
// arguments after `--`, and the errors for what the scripts refuse. Not the scripts themselves (each is run by hand,
// with an unknown flag, to see it stop before its work).

import { describe, expect, it } from 'vitest';
import { FlagError, int, ints, list, many, number, oneOf, parseFlags, required, string } from '../../benchmarks/flags.js';

const spec = {
  model: string('cpu-256'),
  data: string(),
  iters: int(2000),
  seq: int(),
  'grad-clip': number(1, { min: 0 }),
  metric: oneOf(['valAcc', 'valLoss'], 'valAcc'),
  modes: list('none,blocks'),
  impls: list('torch', ['torch', 'pytorch']),
  nproc: ints('2,4'),
  arm: many(),
};

const parse = (...argv: string[]) => parseFlags(argv, spec, { tail: 'extra hyperclone train flags' });
const refusal = (argv: string[], options = {}): string => {
  try {
    parseFlags(argv, spec, options);
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    return (e as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseFlags', () => {
  it('gives every default where nothing is given', () => {
    expect(parse()).toEqual({
      model: 'cpu-256',
      data: undefined,
      iters: 2000,
      seq: undefined,
      'grad-clip': 1,
      metric: 'valAcc',
      modes: ['none', 'blocks'],
      impls: ['torch'],
      nproc: [2, 4],
      arm: [],
      tail: [],
    });
  });

  it('reads each kind of flag, as --name value and as --name=value', () => {
    const f = parse(
      ...['--model', 'tiny', '--data=/tmp/d', '--iters', '300', '--seq', '64', '--grad-clip', '0', '--metric', 'valLoss'],
      ...['--modes', 'none,every-2', '--impls=pytorch,torch', '--nproc', '1,3', '--arm', 'a=r1,r2', '--arm', 'b=r3'],
    );
    expect(f).toMatchObject({ model: 'tiny', data: '/tmp/d', iters: 300, seq: 64, 'grad-clip': 0, metric: 'valLoss' });
    expect(f.modes).toEqual(['none', 'every-2']);
    expect(f.impls).toEqual(['pytorch', 'torch']);
    expect(f.nproc).toEqual([1, 3]);
    expect(f.arm).toEqual(['a=r1,r2', 'b=r3']);
  });

  it('hands back what follows a lone -- untouched, flags and all', () => {
    const f = parse('--iters', '5', '--', '--lr', '1e-3', '--bogus', 'x', '--');
    expect(f.iters).toBe(5);
    expect(f.tail).toEqual(['--lr', '1e-3', '--bogus', 'x', '--']);
    expect(parse('--').tail).toEqual([]);
  });

  it('refuses an unknown flag, naming it and the known ones', () => {
    const message = refusal(['--iters', '3', '--bogus', '1'], { tail: 'extra hyperclone train flags' });
    expect(message).toMatch(/^unknown flag --bogus \(known flags: --model, --data, --iters, /);
    expect(message).toContain('--arm (repeatable)');
    expect(message).toContain('after --: extra hyperclone train flags');
    expect(refusal(['-x'])).toMatch(/^unknown flag -x /);
    expect(refusal(['--toString', '1'])).toMatch(/^unknown flag --toString /);
  });

  it('refuses a flag given without its value', () => {
    expect(refusal(['--model'])).toBe('--model needs a value');
    expect(refusal(['--iters', '--seq', '3'])).toMatch(/^--iters needs a value \(got --seq, which reads as a flag/);
    expect(refusal(['--model='])).toBe('--model needs a value');
    expect(refusal(['--arm'])).toBe('--arm needs a value');
  });

  it('checks positive integers and numbers in one place', () => {
    expect(refusal(['--iters', 'x'])).toBe('--iters must be a positive integer (got x)');
    expect(refusal(['--iters', '0'])).toBe('--iters must be a positive integer (got 0)');
    expect(refusal(['--iters', '2.5'])).toBe('--iters must be a positive integer (got 2.5)');
    expect(refusal(['--seq', ' '])).toBe('--seq must be a positive integer (got  )');
    expect(refusal(['--grad-clip=-1'])).toBe('--grad-clip must be a number >= 0 (got -1)');
    expect(refusal(['--grad-clip', 'NaN'])).toBe('--grad-clip must be a number >= 0 (got NaN)');
    expect(refusal(['--nproc', '2,x'])).toBe('--nproc must be positive integers, comma-separated (got 2,x)');
  });

  it('checks choices and lists', () => {
    expect(refusal(['--metric', 'acc'])).toBe('--metric must be valAcc or valLoss (got acc)');
    expect(refusal(['--impls', 'torch,tfjs'])).toBe('--impls takes torch, pytorch (got tfjs)');
    expect(refusal(['--modes', 'none,'])).toBe('--modes takes a comma-separated list with no empty entries (got none,)');
  });

  it('reads each value of a repeatable flag through its parser', () => {
    const pairs = {
      arm: many((raw, name) => {
        if (!raw.includes('=')) throw new FlagError(`--${name} takes NAME=RUN (got ${raw})`);
        return raw.split('=');
      }),
    };
    expect(parseFlags(['--arm', 'a=r1', '--arm', 'b=r2'], pairs).arm).toEqual([
      ['a', 'r1'],
      ['b', 'r2'],
    ]);
    expect(() => parseFlags(['--arm', 'a=r1', '--arm', 'b'], pairs)).toThrow('--arm takes NAME=RUN (got b)');
  });

  it('refuses a required flag left out', () => {
    const needs = { data: required(string(), 'DIR'), arm: required(many(), 'NAME=RUN'), budgets: required(ints(), 'B,B') };
    expect(parseFlags(['--data', 'd', '--arm', 'a=r', '--budgets', '3,4'], needs)).toEqual({
      data: 'd',
      arm: ['a=r'],
      budgets: [3, 4],
      tail: [],
    });
    expect(() => parseFlags(['--arm', 'a=r', '--budgets', '3'], needs)).toThrow('--data DIR is required');
    expect(() => parseFlags(['--data', 'd', '--budgets', '3'], needs)).toThrow('--arm NAME=RUN is required');
    expect(() => parseFlags(['--data', 'd', '--arm', 'a=r'], needs)).toThrow('--budgets B,B is required');
  });

  it('refuses a flag given twice, but for a repeatable one, and stray arguments', () => {
    expect(refusal(['--iters', '3', '--iters', '4'])).toBe('--iters is given more than once');
    expect(refusal(['extra'])).toMatch(/^unexpected argument 'extra' \(known flags: /);
    expect(refusal(['--iters', '3', '--', '--lr', '1'])).toMatch(/^-- takes nothing after it here/);
  });
});
