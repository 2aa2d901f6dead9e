import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Papa from 'papaparse'
import { ByteMemo, cellText, CsvFormatError, scanCsv } from './csv.ts'
import { identifierCode, identifierText, postcodeCodes, ukPostcodeCodes } from './codes.ts'
import { Dictionaries } from './encode.ts'
import { normaliseNhsNumber, normalisePostcode, normaliseUpn } from './normalise.ts'
import { parseMapping, fileMapping } from './mapping.ts'
import { parseTable } from './read.ts'

const rowsOf = (text: string): string[][] => {
  const buf = Buffer.from(text, 'utf8')
  const rows: string[][] = []
  scanCsv(buf, (row) => rows.push(Array.from({ length: row.count }, (_, k) => cellText(buf, row, k))))
  return rows
}

describe('reading CSV from bytes', () => {
  it('reads quotes, doubled quotes, line breaks in quotes, CRLF, a byte-order mark and blank lines as papaparse does', () => {
    const text = '\ufeffid,name,note\r\n1,"Smith, Ann","said ""hi""\nthen left"\r\n\r\n2,Ōmura,\r\n3,,"x"\r\n'

    const rows = rowsOf(text)

    const expected = Papa.parse<string[]>(text.slice(1), { skipEmptyLines: true }).data
    assert.deepEqual(rows, expected)
    assert.deepEqual(rows[1], ['1', 'Smith, Ann', 'said "hi"\nthen left'])
    assert.deepEqual(rows[2], ['2', 'Ōmura', ''])
  })

  it('reads a last line with no line break, mixed line ends, and rows of different lengths', () => {
    assert.deepEqual(rowsOf('a,b\r\n1\n2,3,4'), [['a', 'b'], ['1'], ['2', '3', '4']])
  })

  it('names the line of a quote that is never closed, or of text after a closing quote', () => {
    assert.throws(() => rowsOf('a,b\n1,2\n3,"open\n'), (err: Error) => err instanceof CsvFormatError && /Line 3/.test(err.message))
    assert.throws(() => rowsOf('a,b\n"x"y,2\n'), /Line 2: text follows a closing quote/)
  })

  it('works out a value once per distinct cell, ignoring spaces at either end', () => {
    const buf = Buffer.from('a\n x\nx \n"x"\ny\n"a""b"\n', 'utf8')
    const seen: string[] = []
    const memo = new ByteMemo(buf, (text) => { seen.push(text); return seen.length })
    const ids: number[] = []
    scanCsv(buf, (row) => ids.push(memo.get(row, 0)))

    assert.deepEqual(ids, [1, 2, 2, 2, 3, 4])
    assert.deepEqual(seen, ['a', 'x', 'y', 'a"b'])
  })

  it('gives the same columns for a file with odd spacing and case as for the tidy file', () => {
    const mapping = fileMapping(parseMapping({ id: 'id', fields: { forename: 'f', postcode: 'pc', nhsNumber: 'nhs', upn: 'upn' } }), 'left')
    const tidy = 'id,f,pc,nhs,upn\n1,Ann,ZZ99 4BA,4000000004,A12345678901B\n2,Bo,D02 X285,4000000005,bad\n'
    const messy = 'id,f,pc,nhs,upn\n1, Ann ,"zz994ba",400-000-0004, a123 4567 8901b\n2,Bo,d02  x285,4000000005,bad\n'
    const dicts = new Dictionaries()

    const a = parseTable(tidy, mapping, 'tidy.csv', dicts)
    const b = parseTable(messy, mapping, 'messy.csv', dicts)

    assert.deepEqual([...b.postcode], [...a.postcode])
    assert.deepEqual([...b.sector], [...a.sector])
    assert.deepEqual([...b.nhsNumber], [...a.nhsNumber])
    assert.deepEqual([...b.upn], [...a.upn])
    assert.equal(a.nhsNumber[1], -1, 'a wrong check digit is unknown')
    assert.equal(a.upn[1], -1)
    assert.deepEqual(dicts.postcode.values, ['ZZ99 4BA', 'D02 X285'])
    assert.equal(a.sector[1], -1, 'a postcode from abroad has no sector')
    assert.deepEqual([identifierText(a.nhsNumber[0]), identifierText(a.upn[0])], ['4000000004', 'A12345678901B'])
  })
})

describe('reading a second file into dictionaries a first has filled', () => {
  it('gives each postcode its own sector, district and area, however many postcodes came before', () => {
    const mapping = fileMapping(parseMapping({ id: 'id', fields: { forename: 'f', postcode: 'pc' } }), 'left')
    const dicts = new Dictionaries()
    // Ten thousand postcodes in the first file, so the second file's new postcodes have ids far past its own count.
    const postcode = (k: number) => `ZZ${1 + (k % 90)} ${k % 10}${'ABDEFGHJLNPQRSTUWXYZ'[Math.floor(k / 10) % 20]}${'ABDEFGHJLNPQRSTUWXYZ'[Math.floor(k / 200) % 20]}`
    const first = ['id,f,pc', ...Array.from({ length: 10_000 }, (_, k) => `${k},Ann,${postcode(k)}`)].join('\n')
    parseTable(first, mapping, 'first.csv', dicts)

    const second = parseTable('id,f,pc\n1,Bo,AB1 2DE\n2,Cy,AB1 2DF\n', mapping, 'second.csv', dicts)

    assert.deepEqual([dicts.sector.values[second.sector[0]], dicts.district.values[second.district[1]], dicts.area.values[second.area[1]]], ['AB1 2', 'AB1', 'AB'])
  })
})

describe('packed codes for postcodes and identifiers', () => {
  it('accepts exactly the postcodes the pattern accepts, with the same parts', () => {
    // Random strings over the letters and digits that matter, of every length a postcode can have.
    let seed = 7
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const letters = 'ABCIKMRVZ'
    const digits = '019'
    const pick = (from: string) => from[Math.floor(random() * from.length)]
    let uk = 0
    for (let trial = 0; trial < 20_000; trial++) {
      // Half are shaped like postcodes (letters, a district, a digit, two letters), half are anything.
      const length = 4 + Math.floor(random() * 5)
      let text = ''
      if (random() < 0.5) text = pick(letters).repeat(1 + Math.floor(random() * 2)) + pick('R' + digits) + (random() < 0.5 ? pick(letters + digits) : '') + pick(digits) + pick(letters) + pick(letters)
      else for (let k = 0; k < length; k++) text += pick(random() < 0.5 ? letters : digits)
      const chars = Uint8Array.from(text, (c) => c.charCodeAt(0))
      const codes = ukPostcodeCodes(chars, chars.length)
      const pc = normalisePostcode(text)!
      assert.equal(codes !== null, pc.isUk, text)
      if (!codes) continue
      uk++
      assert.deepEqual(codes, postcodeCodes(pc))
      const dicts = new Dictionaries()
      const ids = dicts.postcodeIds(pc)
      assert.deepEqual([dicts.postcode.values[ids.unit], dicts.sector.values[ids.sector], dicts.district.values[ids.district], dicts.area.values[ids.area]],
        [pc.value, pc.sector, pc.district, pc.area])
    }
    assert.ok(uk > 500, `only ${uk} UK postcodes were tried`)
  })

  it('turns NHS numbers and UPNs into codes and back', () => {
    for (const text of ['4000000004', '0000000000', '9434765919']) {
      assert.equal(normaliseNhsNumber(text), text)
      assert.equal(identifierText(identifierCode(text)), text)
    }
    for (const text of ['A12345678901B', 'Z999999999999', 'H00000000000Z']) {
      assert.equal(normaliseUpn(text), text)
      assert.equal(identifierText(identifierCode(text)), text)
    }
    assert.notEqual(identifierCode('A00000000000A'), identifierCode('B00000000000A'))
  })
})
