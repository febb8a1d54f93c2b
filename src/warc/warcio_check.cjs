// Independent check of a WARC file with webrecorder's warcio.js (npm), used by
// warc_reader_test: parses every record with warcio's parser and checks
// WARC-Block-Digest (over the block as warcio delimits it) and
// WARC-Payload-Digest (over what follows the HTTP headers as warcio parses
// them) with Node's crypto. WARC 1.1 section 5.9 takes the payload as the HTTP
// entity body, without transfer coding; warcio hands over the body as sent, so
// for `Transfer-Encoding: chunked` this script removes the chunk framing itself
// (dechunk below, written from RFC 9112 section 7.1, not from isnad's code) and
// also reports the digest of the body as sent (`payload_as_sent`), which tools
// that hash the framing would have written. Prints one JSON line per record;
// exits 1 when any digest fails or is absent where the record type needs one, 2
// on a parse error.
// Usage: node warcio_check.cjs WARCIO_MODULE_DIR FILE.warc[.gz]
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { WARCParser } = require(process.argv[2] + '/dist/index.cjs');

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function check(field, bytes) {
  if (!field) return 'absent';
  const i = field.indexOf(':');
  const algo = field.slice(0, i).toLowerCase().replace('-', '');
  const value = field.slice(i + 1);
  const got = crypto.createHash(algo).update(bytes).digest();
  // base32, base16 or base64(url), told apart by length as warcio does.
  const want = value.length === got.length * 2 ? Buffer.from(value, 'hex')
      : value.replace(/=+$/, '').length === Math.ceil(got.length * 8 / 5) ? base32Decode(value)
      : Buffer.from(value, 'base64');
  return want && got.equals(want) ? 'pass' : 'fail';
}

// RFC 9112 7.1: chunk = size in hex [; extensions] CRLF data CRLF, ending with a
// zero-size chunk, optional trailer fields and CRLF. Returns null when the
// framing is broken.
function dechunk(bytes) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(bytes.slice(at, eol).toString('latin1').split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) return null;
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (at + size + 2 > bytes.length) return null;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

function isChunked(record) {
  const headers = record.httpHeaders && record.httpHeaders.headers;
  const te = headers ? headers.get('transfer-encoding') : null;
  return !!te && te.toLowerCase().split(',').map((t) => t.trim()).includes('chunked');
}

async function records(file, parseHttp) {
  const out = [];
  const parser = new WARCParser(fs.createReadStream(file), { parseHttp });
  for await (const record of parser) {
    const bytes = Buffer.from(await record.readFully(false));
    out.push({ record, bytes });
  }
  return out;
}

(async () => {
  const file = process.argv[3];
  const blocks = await records(file, false);
  const payloads = await records(file, true);
  let bad = false;
  blocks.forEach((b, i) => {
    const r = b.record;
    const p = payloads[i];
    const chunked = isChunked(p.record);
    const entity = chunked ? dechunk(p.bytes) : p.bytes;
    const result = {
      type: r.warcType,
      id: r.warcHeader('WARC-Record-ID'),
      uri: r.warcTargetURI || '',
      block: check(r.warcBlockDigest, b.bytes),
      // A revisit's payload digest names the original's payload: not checkable.
      payload: r.warcType === 'revisit' ? 'not-checked'
          : entity === null ? 'fail' : check(r.warcPayloadDigest, entity),
      payload_bytes: entity === null ? p.bytes.length : entity.length,
    };
    if (chunked) result.payload_as_sent = check(r.warcPayloadDigest, p.bytes);
    if (result.block !== 'pass' || result.payload === 'fail') bad = true;
    process.stdout.write(JSON.stringify(result) + '\n');
  });
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  process.stderr.write('warcio could not parse ' + process.argv[3] + ': ' + e + '\n');
  process.exit(2);
});
