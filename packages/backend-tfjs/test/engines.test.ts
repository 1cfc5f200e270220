// Engine selection of createTfjsBackend: auto, explicit engines, clear errors, coexisting and closed backends.
// Not op conformance (conformance.test.ts).

import { describe, expect, it } from 'vitest';
import { float32 } from '@hyperclone/core';
import { createTfjsBackend } from '../src/index.js';

describe('createTfjsBackend engine selection', () => {
  it('auto picks wasm on this machine (tfjs-node is not installed) and describes its device', async () => {
    const b = await createTfjsBackend();
    console.log(`auto engine: ${b.engine}, device ${JSON.stringify(b.device)}, threads ${b.threads}`);
    expect(b.name).toBe('tfjs');
    expect(b.engine).toBe('tfjs-wasm');
    expect(b.tfjsEngine).toBe('wasm');
    expect(b.device.kind).toBe('cpu');
    expect(b.device.count).toBe(1);
    expect(b.device.name.length).toBeGreaterThan(0);
    b.close();
  });

  it("asking for 'tensorflow' without the bindings names the npm packages to install", async () => {
    await expect(createTfjsBackend({ engine: 'tensorflow' })).rejects.toThrow(
      /npm install @tensorflow\/tfjs-node.*@tensorflow\/tfjs-node-gpu/,
    );
  });

  it('rejects an unknown engine and a bad thread count', async () => {
    await expect(createTfjsBackend({ engine: 'webgpu' as never })).rejects.toThrow(
      /unknown tfjs engine "webgpu"; choose auto, tensorflow, wasm or cpu/,
    );
    await expect(createTfjsBackend({ engine: 'cpu', threads: 0 })).rejects.toThrow(/threads must be a positive integer \(got 0\)/);
  });

  it('backends on two engines coexist, and a tensor crosses between them', async () => {
    const wasm = await createTfjsBackend({ engine: 'wasm' });
    const cpu = await createTfjsBackend({ engine: 'cpu' });
    expect([wasm.engine, cpu.engine]).toEqual(['tfjs-wasm', 'tfjs-cpu']);
    const a = float32([2, 2], [1, 2, 3, 4]);
    const onWasm = wasm.matmul(wasm.fromHost(a), wasm.fromHost(a)); // (2, 2)
    const onCpu = cpu.add(cpu.fromHost(a), onWasm); // reads the wasm tensor on cpu
    expect(Array.from(cpu.toHost(onCpu).data)).toEqual([8, 12, 18, 26]);
    expect(Array.from(wasm.toHost(wasm.mul(onCpu, wasm.scalar(2))).data)).toEqual([16, 24, 36, 52]);
    cpu.close();
    wasm.close();
  });

  it('a closed backend says so; a new one starts afresh', async () => {
    const b = await createTfjsBackend({ engine: 'cpu' });
    b.close();
    expect(() => b.scalar(1)).toThrow(/this tfjs backend \(tfjs-cpu\) is closed; make a new one with createTfjsBackend\(\)/);
    const again = await createTfjsBackend({ engine: 'wasm' });
    expect(Array.from(again.toHost(again.add(again.scalar(1), again.scalar(2))).data)).toEqual([3]);
    expect(again.liveTensors()).toBe(3);
    again.close();
  });
});
