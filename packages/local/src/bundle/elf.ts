// Reads what a shared object needs from the system, from its ELF dynamic section: the architecture
// (e_machine), the libraries (DT_NEEDED), and the newest symbol version of each library family it
// requires (DT_VERNEED: GLIBC_2.34, GLIBCXX_3.4.29). Only 64-bit little-endian ELF: Lambda's x86_64 and arm64.
import { readFileSync } from 'node:fs';

/** What a shared object needs. */
export interface ElfNeeds {
  /** e_machine: 62 x86-64, 183 AArch64. */
  machine: number;
  /** DT_NEEDED: the libraries it links. */
  libraries: string[];
  /** The newest version it needs of each family: { GLIBC: '2.34', GLIBCXX: '3.4.29' }. */
  newest: Record<string, string>;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_VERNEED = 0x6ffffffen;
const DT_VERNEEDNUM = 0x6fffffffn;

/**
 * The architecture, libraries and symbol versions `file` needs.
 *
 * @example
 * ```ts
 * readElfNeeds('build/deps/librdkafka.so.1').newest.GLIBC; // '2.34'
 * ```
 */
export function readElfNeeds(file: string): ElfNeeds {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  if (b[4] !== 2 || b[5] !== 1) throw new Error(`${file} is not a 64-bit little-endian ELF file`);
  const machine = b.readUInt16LE(18);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const loads: Array<{ vaddr: bigint; offset: bigint; filesz: bigint }> = [];
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = b.readUInt32LE(at);
    const offset = b.readBigUInt64LE(at + 8);
    const vaddr = b.readBigUInt64LE(at + 16);
    const filesz = b.readBigUInt64LE(at + 32);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    if (type === PT_DYNAMIC) dynamic = { offset: Number(offset), size: Number(filesz) };
  }
  if (!dynamic) return { machine, libraries: [], newest: {} };
  // Dynamic entries hold virtual addresses: map them to file offsets through the loaded segments.
  const toOffset = (vaddr: bigint) => {
    const load = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
    if (!load) throw new Error(`${file}: address 0x${vaddr.toString(16)} is in no loaded segment`);
    return Number(vaddr - load.vaddr + load.offset);
  };
  const entries: Array<[bigint, bigint]> = [];
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = b.readBigUInt64LE(at);
    if (tag === 0n) break;
    entries.push([tag, b.readBigUInt64LE(at + 8)]);
  }
  const value = (tag: bigint) => entries.find(([t]) => t === tag)?.[1];
  const strtab = toOffset(value(DT_STRTAB)!);
  const string = (index: number) => {
    const start = strtab + index;
    return b.toString('latin1', start, b.indexOf(0, start));
  };
  const libraries = entries.filter(([tag]) => tag === DT_NEEDED).map(([, v]) => string(Number(v)));
  const newest: Record<string, string> = {};
  const verneed = value(DT_VERNEED);
  let count = Number(value(DT_VERNEEDNUM) ?? 0n);
  let need = verneed === undefined ? 0 : toOffset(verneed);
  while (verneed !== undefined && count-- > 0) {
    const auxCount = b.readUInt16LE(need + 2);
    let aux = need + b.readUInt32LE(need + 8);
    for (let i = 0; i < auxCount; i++) {
      const match = /^([A-Z]+)_(\d+(?:\.\d+)*)$/.exec(string(b.readUInt32LE(aux + 8)));
      if (match) {
        const [, family, version] = match as unknown as [string, string, string];
        if (newest[family] === undefined || compareVersions(version, newest[family]) > 0)
          newest[family] = version;
      }
      aux += b.readUInt32LE(aux + 12);
    }
    need += b.readUInt32LE(need + 12);
  }
  return { machine, libraries, newest };
}

/**
 * Compares dotted versions numerically: negative, zero or positive.
 *
 * @example
 * ```ts
 * compareVersions('2.34', '2.4'); // > 0
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
