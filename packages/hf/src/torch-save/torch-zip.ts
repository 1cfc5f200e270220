// The zip archive torch.save writes (since PyTorch 1.6): NAME/data.pkl, NAME/data/KEY per storage, NAME/version and
// NAME/byteorder, read with yauzl. Gives data.pkl's bytes and where each stored member's data starts. Not the pickle.

import { Buffer } from 'node:buffer';
import yauzl from 'yauzl';

export interface TorchZipMember {
  /** Absolute offset of the member's (uncompressed) data in the file. */
  dataStart: number;
  bytes: number;
}

export interface TorchZip {
  /** The archive's folder name (the file name torch.save was given, without extension). */
  prefix: string;
  pickle: Uint8Array;
  /** Storage members by key (NAME/data/KEY). */
  storages: Map<string, TorchZipMember>;
}

/** One line for a file that is not (or no longer) a readable archive. */
export class TorchZipError extends Error {
  override name = 'TorchZipError';
}

/** Opens `path`, checks its members (stored, not encrypted, inside the file) and reads its data.pkl. */
export async function readTorchZip(path: string): Promise<TorchZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (e) {
    throw new TorchZipError(`is not a complete zip archive (truncated? download it again): ${(e as Error).message}`);
  }
  try {
    const entries: yauzl.Entry[] = [];
    for await (const entry of zip.eachEntry()) entries.push(entry);
    const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.fileName));
    if (pickles.length !== 1)
      throw new TorchZipError(
        `holds ${pickles.length === 0 ? 'no' : pickles.length} NAME/data.pkl member${pickles.length === 1 ? '' : 's'}; a torch.save archive has one`,
      );
    const prefix = pickles[0]!.fileName.slice(0, -'/data.pkl'.length);
    const storages = new Map<string, TorchZipMember>();
    let pickle: Uint8Array | null = null;
    let byteorder = 'little';
    for (const entry of entries) {
      if (!entry.fileName.startsWith(`${prefix}/`)) continue;
      if (entry.isEncrypted() || entry.compressionMethod !== 0)
        throw new TorchZipError(
          `member ${entry.fileName} is ${entry.isEncrypted() ? 'encrypted' : `compressed (method ${entry.compressionMethod})`}; ` +
            'torch.save stores its members as they are: save the state dict again with torch.save',
        );
      const local = entry.fileName.slice(prefix.length + 1);
      if (local === 'data.pkl') pickle = await contents(zip, entry);
      else if (local === 'byteorder') byteorder = Buffer.from(await contents(zip, entry)).toString('latin1');
      else if (local.startsWith('data/')) {
        const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
        if (fileDataStart + entry.compressedSize > zip.fileSize)
          throw new TorchZipError(`member ${entry.fileName} runs past the end of the file (truncated? download it again)`);
        storages.set(local.slice('data/'.length), { dataStart: fileDataStart, bytes: entry.uncompressedSize });
      }
    }
    if (byteorder !== 'little') throw new TorchZipError(`was written on a ${byteorder}-endian machine; only little-endian data is read`);
    return { prefix, pickle: pickle!, storages };
  } catch (e) {
    if (e instanceof TorchZipError) throw e;
    throw new TorchZipError(`is not a readable zip archive (truncated or corrupt? download it again): ${(e as Error).message}`);
  } finally {
    zip.close();
  }
}

async function contents(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
