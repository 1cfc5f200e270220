// A state dict saved by torch.save (pytorch_model.bin), zip archive or legacy format, read without running anything:
// its pickle goes through the restricted unpickler, its tensors are read one at a time. Not a general torch.load.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { HostTensor } from '@hyperclone/core';
import { BufferSource, FdSource } from './byte-source.js';
import { PyDict, RefusedPickleError, describePy, unpickle } from './restricted-unpickler.js';
import { readStrided, spanOf } from './strided-read.js';
import { PLAIN_RULES, StorageRef, stateDictRules, storageOf, tensorsOf, type TensorRef, type TorchDtype } from './torch-pickle-rules.js';
import { TorchZipError, readTorchZip } from './torch-zip.js';

/** A torch.save file that is refused or cannot be read, in one line naming the file. */
export class TorchCheckpointError extends Error {
  override name = 'TorchCheckpointError';
}

export interface TorchTensorInfo {
  dtype: TorchDtype;
  shape: readonly number[];
}

/** The legacy format's first pickle: torch.serialization's MAGIC_NUMBER, then PROTOCOL_VERSION. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
/** A legacy file starts with a pickle, which starts with PROTO. */
const PROTO = 0x80;
/** readSync takes under 2 GiB at once. */
const CHUNK_BYTES = 1 << 28;

export class TorchCheckpoint {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly refs: Map<string, TensorRef>,
    /** Where each storage's data starts in the file, by key. */
    private readonly storageStarts: Map<string, number>,
  ) {
    this.fd = fd;
  }

  /** Opens a torch.save file and decodes its pickle; refusals and damage are one-line TorchCheckpointErrors. */
  static async open(path: string): Promise<TorchCheckpoint> {
    const fd = openSync(path, 'r');
    try {
      const head = new Uint8Array(4);
      readSync(fd, head, 0, 4, 0);
      const zip = ZIP_SIGNATURE.every((b, i) => head[i] === b);
      if (!zip && head[0] !== PROTO)
        throw new RefusedPickleError('is neither a zip archive (torch.save since PyTorch 1.6) nor a legacy torch.save file');
      const { refs, starts } = zip ? await fromZip(path) : fromLegacy(fd);
      return new TorchCheckpoint(path, fd, refs, starts);
    } catch (e) {
      closeSync(fd);
      if (e instanceof RefusedPickleError || e instanceof TorchZipError) throw new TorchCheckpointError(`${path}: refused: ${e.message}`);
      throw e;
    }
  }

  /** Every tensor's name, dtype and shape, in file order. */
  get tensors(): Map<string, TorchTensorInfo> {
    return new Map([...this.refs].map(([name, r]) => [name, { dtype: r.storage.dtype, shape: r.shape }]));
  }

  /** One tensor, contiguous: float32 for F64/F32/F16/BF16 storages, int32 for integers and bools. */
  read(name: string): HostTensor {
    const ref = this.refs.get(name);
    if (!ref) throw new Error(`${this.path} has no tensor "${name}"`);
    return readStrided((position, into) => this.readAt(position, into), this.storageStarts.get(ref.storage.key)!, ref, name);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readAt(position: number, into: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    for (let done = 0; done < into.length;) {
      const n = readSync(this.fd, into, done, Math.min(CHUNK_BYTES, into.length - done), position + done);
      if (n === 0) throw new Error(`${this.path} ended early (truncated while being read?)`);
      done += n;
    }
  }
}

/** Each tensor's storage must exist in the file with room for its elements. */
function checkStorages(refs: Map<string, TensorRef>, bytesOf: (key: string) => number | undefined): void {
  for (const [name, ref] of refs) {
    const have = bytesOf(ref.storage.key);
    if (have === undefined) throw new RefusedPickleError(`tensor "${name}" lives in storage ${ref.storage.key}, which the file lacks`);
    const need = ref.storage.numel * ref.storage.elementBytes;
    if (have < need && spanOf(ref) !== null)
      throw new RefusedPickleError(
        `storage ${ref.storage.key} (of "${name}") holds ${have} bytes where its ${ref.storage.numel} elements need ${need}`,
      );
  }
}

/** torch.save since 1.6: persistent ids ('storage', type, key, location, numel); data in NAME/data/KEY. */
async function fromZip(path: string): Promise<{ refs: Map<string, TensorRef>; starts: Map<string, number> }> {
  const zip = await readTorchZip(path);
  const rules = stateDictRules((pid) => {
    if (pid.items.length !== 5) throw new RefusedPickleError(`a storage id has ${pid.items.length} fields, not 5`);
    return storageOf(pid, pid.items[2], pid.items[4]);
  });
  const refs = tensorsOf(unpickle(new BufferSource(zip.pickle), rules));
  checkStorages(refs, (key) => zip.storages.get(key)?.bytes);
  return { refs, starts: new Map([...zip.storages].map(([k, m]) => [k, m.dataStart])) };
}

/**
 * torch.save's legacy format (before 1.6, or _use_new_zipfile_serialization=False): pickles of the magic number,
 * the protocol version, system info, the state dict (persistent ids ('storage', type, key, location, numel, view)),
 * and the sorted storage keys; then each storage in that order as its element count (int64) and its bytes.
 */
function fromLegacy(fd: number): { refs: Map<string, TensorRef>; starts: Map<string, number> } {
  const fileBytes = fstatSync(fd).size;
  const header = new FdSource(fd, fileBytes);
  if (unpickle(header, PLAIN_RULES) !== LEGACY_MAGIC)
    throw new RefusedPickleError('starts with a pickle, but not the one torch.save writes');
  const protocol = unpickle(header, PLAIN_RULES);
  if (protocol !== LEGACY_PROTOCOL)
    throw new RefusedPickleError(`is torch.save's legacy format version ${String(protocol)}, not ${LEGACY_PROTOCOL}`);
  const sysInfo = unpickle(header, PLAIN_RULES);
  if (!(sysInfo instanceof PyDict) || sysInfo.entries.get('little_endian') !== true)
    throw new RefusedPickleError(
      'was written on a big-endian machine (or says nothing of its byte order); only little-endian data is read',
    );
  const declared = new Map<string, StorageRef>();
  const rules = stateDictRules((pid) => {
    if (pid.items.length !== 6) throw new RefusedPickleError(`a storage id has ${pid.items.length} fields, not 6`);
    if (pid.items[5] !== null) throw new RefusedPickleError(`storage ${String(pid.items[2])} is a legacy storage view, which is not read`);
    const storage = storageOf(pid, pid.items[2], pid.items[4]);
    declared.set(storage.key, declared.get(storage.key) ?? storage);
    return declared.get(storage.key)!;
  });
  const refs = tensorsOf(unpickle(header, rules));
  const keys = unpickle(header, PLAIN_RULES);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new RefusedPickleError(`its storage key list is ${describePy(keys)}, not a list of keys`);
  const starts = new Map<string, number>();
  const sizes = new Map<string, number>();
  let at = header.position;
  for (const key of keys as string[]) {
    const storage = declared.get(key);
    if (!storage) throw new RefusedPickleError(`it stores ${key}, which no tensor uses`);
    if (at + 8 > fileBytes)
      throw new RefusedPickleError(`it ends at byte ${fileBytes}, before storage ${key} (truncated? download it again)`);
    const count = new FdSource(fd, fileBytes, at).bytes(8);
    const numel = new DataView(count.buffer, count.byteOffset, 8).getBigInt64(0, true);
    if (numel !== BigInt(storage.numel))
      throw new RefusedPickleError(`storage ${key} says ${numel} elements where its id says ${storage.numel}`);
    starts.set(key, at + 8);
    sizes.set(key, storage.numel * storage.elementBytes);
    at += 8 + storage.numel * storage.elementBytes;
    if (at > fileBytes)
      throw new RefusedPickleError(`storage ${key} ends at byte ${at} but the file has ${fileBytes} (truncated? download it again)`);
  }
  checkStorages(refs, (key) => sizes.get(key));
  return { refs, starts };
}
