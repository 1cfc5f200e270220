// TFRecord framing, the container of TensorBoard's event files: each record is its data's length
// (uint64, little-endian), that length's masked CRC-32C, the data, and the data's masked CRC-32C.
// Not what a record holds (event-schema.ts) and not the files themselves (event-file.ts).

import { crc32c } from '@aws-crypto/crc32c';

/** TensorFlow's masking of a CRC-32C (a CRC over bytes that hold CRCs would otherwise be weak). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One record: header (length + its CRC), data, footer (the data's CRC). */
export function frameRecord(data: Uint8Array): Buffer {
  const record = Buffer.alloc(8 + 4 + data.length + 4);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedCrc32c(record.subarray(0, 8)), 8);
  record.set(data, 12);
  record.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return record;
}

/**
 * The records of a file's bytes, each checked against both CRCs. A torn last record (a writer that
 * died mid-append) ends the list and is reported through `onTorn`; a CRC that does not match throws.
 */
export function readRecords(bytes: Buffer, where: string, onTorn: (message: string) => void = () => {}): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12) {
      onTorn(`${where}: dropped a torn record header at byte ${at}`);
      break;
    }
    const header = bytes.subarray(at, at + 8);
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(header)) throw new Error(`${where}: the record at byte ${at} has a bad length CRC`);
    const length = Number(header.readBigUInt64LE(0));
    const end = at + 12 + length + 4;
    if (end > bytes.length) {
      onTorn(`${where}: dropped a torn record at byte ${at}`);
      break;
    }
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (bytes.readUInt32LE(end - 4) !== maskedCrc32c(data)) throw new Error(`${where}: the record at byte ${at} has a bad data CRC`);
    records.push(data);
    at = end;
  }
  return records;
}
