// Schools' systems still write files in legacy encodings, so both parsers read bytes the same way.

/**
 * Text from a file's bytes: UTF-8 (with or without BOM), UTF-16 LE or BE with a BOM, and otherwise
 * Windows-1252. Windows-1252 is what WHATWG decoders use for "Latin-1" labels, and it keeps the curly
 * apostrophes in names such as O’Neil that Excel's plain "CSV" export writes as byte 0x92.
 */
export function decodeText(input: Buffer): string {
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) return input.subarray(3).toString('utf8')
  if (input[0] === 0xff && input[1] === 0xfe) return input.subarray(2).toString('utf16le')
  if (input[0] === 0xfe && input[1] === 0xff) {
    const body = Buffer.from(input.subarray(2, 2 + ((input.length - 2) & ~1)))
    return body.swap16().toString('utf16le')
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input)
  } catch {
    return windows1252(input)
  }
}

// Bytes 0x80-0x9F, where Windows-1252 differs from ISO-8859-1. Node 20's TextDecoder('windows-1252')
// decodes them as ISO-8859-1's control characters, so they are mapped here.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'

function windows1252(input: Buffer): string {
  return input.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80])
}
