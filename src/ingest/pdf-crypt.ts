/**
 * AES-256 encrypted PDFs (security handler revision 5 or 6) whose *owner* password is empty open in
 * viewers without a password (qpdf, poppler and Acrobat try the empty password as the owner's too),
 * but pdf.js tries the empty password only as the user's. For those, the file key is recovered with
 * the empty owner password and the file is given an incremental update whose /Encrypt dictionary
 * accepts the empty user password for the same key: pdf.js then opens it as it opens any file
 * encrypted with an empty user password. Nothing else in the file changes.
 *
 * (For revisions 2–4 an empty owner password stands for the user password, ISO 32000-1 Algorithm 3,
 * so such a file does need its user password.)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** ISO 32000-2 Algorithm 2.B (revision 6), or plain SHA-256 (revision 5). */
function hash(revision: number, password: Buffer, salt: Buffer, udata: Buffer): Buffer {
  let k = createHash('sha256').update(Buffer.concat([password, salt, udata])).digest();
  if (revision < 6) return k;
  for (let round = 0; ; round++) {
    const k1 = Buffer.concat(Array.from({ length: 64 }, () => Buffer.concat([password, k, udata])));
    const cipher = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32)).setAutoPadding(false);
    const e = Buffer.concat([cipher.update(k1), cipher.final()]);
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += e[i]!;
    k = createHash(['sha256', 'sha384', 'sha512'][sum % 3]!).update(e).digest();
    if (round >= 63 && e[e.length - 1]! <= round + 1 - 32) break;
  }
  return k.subarray(0, 32);
}

function aes256(key: Buffer, data: Buffer, decrypt: boolean): Buffer {
  const iv = Buffer.alloc(16);
  const c = (decrypt ? createDecipheriv : createCipheriv)('aes-256-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * The file with an update that opens it with the empty user password, when it is AES-256 encrypted
 * and its owner password is empty; null otherwise (it then truly needs a password).
 */
export async function openableWithEmptyOwnerPassword(bytes: Buffer): Promise<Buffer | null> {
  const { PDFDocument, PDFDict, PDFName, PDFNumber, PDFHexString, PDFString, PDFRef, PDFArray } = await import('pdf-lib');
  let doc;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return null;
  }
  const trailer = doc.context.trailerInfo;
  const encrypt = trailer.Encrypt ? doc.context.lookup(trailer.Encrypt) : undefined;
  if (!(encrypt instanceof PDFDict)) return null;
  const num = (key: string) => {
    const v = encrypt.lookup(PDFName.of(key));
    return v instanceof PDFNumber ? v.asNumber() : undefined;
  };
  const str = (key: string) => {
    const v = encrypt.lookup(PDFName.of(key));
    return v instanceof PDFString || v instanceof PDFHexString ? Buffer.from(v.asBytes()) : undefined;
  };
  const revision = num('R');
  const [o, u, oe] = [str('O'), str('U'), str('OE')];
  if ((revision !== 5 && revision !== 6) || !o || !u || !oe || o.length < 48 || u.length < 48 || oe.length < 32) return null;
  const empty = Buffer.alloc(0);
  const udata = u.subarray(0, 48);
  // The empty password is the owner's: its hash with the owner validation salt is O's first 32 bytes.
  if (!hash(revision, empty, o.subarray(32, 40), udata).equals(o.subarray(0, 32))) return null;
  const fileKey = aes256(hash(revision, empty, o.subarray(40, 48), udata), oe.subarray(0, 32), true);
  // A user entry for the empty password and the same key.
  const validationSalt = randomBytes(8);
  const keySalt = randomBytes(8);
  const newU = Buffer.concat([hash(revision, empty, validationSalt, empty), validationSalt, keySalt]);
  const newUE = aes256(hash(revision, empty, keySalt, empty), fileKey, false);
  const updated = encrypt.clone();
  updated.set(PDFName.of('U'), PDFHexString.of(newU.toString('hex')));
  updated.set(PDFName.of('UE'), PDFHexString.of(newUE.toString('hex')));

  const text = bytes.toString('latin1');
  const at = text.lastIndexOf('startxref');
  const prev = at < 0 ? NaN : Number(/^startxref\s+(\d+)/.exec(text.slice(at))?.[1]);
  if (!Number.isFinite(prev) || !(trailer.Root instanceof PDFRef)) return null;
  const number = doc.context.largestObjectNumber + 1;
  const head = Buffer.concat([bytes, Buffer.from('\n', 'latin1')]);
  const object = `${number} 0 obj\n${updated.toString()}\nendobj\n`;
  const xrefAt = head.length + Buffer.byteLength(object, 'latin1');
  const id = trailer.ID instanceof PDFArray ? ` /ID ${trailer.ID.toString()}` : '';
  const info = trailer.Info instanceof PDFRef ? ` /Info ${trailer.Info.toString()}` : '';
  const update =
    object +
    `xref\n0 1\n0000000000 65535 f \n${number} 1\n${String(head.length).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${number + 1} /Root ${trailer.Root.toString()} /Encrypt ${number} 0 R${info}${id} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([head, Buffer.from(update, 'latin1')]);
}
