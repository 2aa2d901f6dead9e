import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildComparisons, compareRecords, dateOfBirthComparison, NULL_LEVEL, postcodeComparison, residenceComparison, type Comparison } from './comparisons.ts'
import { aliasTableFromRows } from './nicknames.ts'
import { toLinkRecord } from './records.ts'
import { jaro, jaroWinkler, soundex, withinOneEdit } from './similarity.ts'
import type { FileMapping } from './mapping.ts'

const mapping: FileMapping = {
  id: 'id', dateFormat: 'ISO', extra: [],
  fields: { forename: ['f'], surname: ['s'], dateOfBirth: ['d'], sex: ['x'], postcode: ['p'], nhsNumber: ['n'], upn: ['u'] },
}
const rec = (row: Record<string, string>) => toLinkRecord({ id: '1', f: '', s: '', d: '', x: '', p: '', n: '', u: '', ...row }, mapping)
const aliases = aliasTableFromRows([['alfred', 'alfie'], ['alfred', 'fred']])
const comps = buildComparisons(mapping, mapping, aliases)
const byName = (name: string): Comparison => comps.find((c) => c.name === name)!
const level = (c: Comparison, a: Record<string, string>, b: Record<string, string>) => {
  const g = compareRecords(c, rec(a), rec(b))
  return g === NULL_LEVEL ? 'unknown' : c.levels[g]
}

describe('string similarity', () => {
  it('gives the published Jaro and Jaro-Winkler values', () => {
    assert.equal(jaro('martha', 'marhta').toFixed(4), '0.9444')
    assert.equal(jaroWinkler('martha', 'marhta').toFixed(4), '0.9611')
    assert.equal(jaroWinkler('dwayne', 'duane').toFixed(4), '0.8400')
    assert.equal(jaroWinkler('dixon', 'dicksonx').toFixed(4), '0.8133')
    assert.equal(jaroWinkler('abc', 'xyz'), 0)
  })

  it('counts one substitution, insertion, deletion or adjacent swap as one edit', () => {
    assert.ok(withinOneEdit('2014-03-07', '2014-03-01'))
    assert.ok(withinOneEdit('2014-03-07', '2014-30-07'))
    assert.ok(withinOneEdit('abc', 'abxc'))
    assert.ok(!withinOneEdit('2014-03-07', '2015-03-08'))
  })
})

describe('name comparison levels', () => {
  it('ranks exact, alias, close spelling and different names in order', () => {
    const forename = byName('forename')

    assert.equal(level(forename, { f: 'Alfie' }, { f: 'ALFIE' }), 'exact')
    assert.equal(level(forename, { f: 'Alfie' }, { f: 'Alfred' }), 'alias')
    assert.equal(level(forename, { f: 'Fred' }, { f: 'Alfie' }), 'alias')
    assert.equal(level(forename, { f: 'Theo James' }, { f: 'Theo' }), 'alias')
    assert.equal(level(forename, { f: 'Isabella' }, { f: 'Isabela' }), 'jw>=0.92')
    assert.equal(level(forename, { f: 'Olivia' }, { f: 'Ruby' }), 'else')
    assert.equal(level(forename, { f: '' }, { f: 'Ruby' }), 'unknown')
  })

  it('compares surnames without the nickname table and ignores accents and punctuation', () => {
    const surname = byName('surname')

    assert.equal(level(surname, { s: "O'Brien" }, { s: 'OBrien' }), 'exact')
    assert.equal(level(surname, { s: 'Zoë' }, { s: 'Zoe' }), 'exact')
    assert.ok(!surname.levels.includes('alias'))
  })

  it('gives names spelled as heard their own level, below close spellings', () => {
    const surname = byName('surname')

    assert.equal(level(surname, { s: 'Fairbrother' }, { s: 'Fayrebruther' }), 'sounds alike')
    assert.equal(level(surname, { s: 'Thomson' }, { s: 'Tomsen' }), 'sounds alike')
    assert.equal(level(surname, { s: 'Ashworth' }, { s: 'Ashwerth' }), 'jw>=0.92')
    assert.equal(level(surname, { s: 'Thompson' }, { s: 'Walker' }), 'else')
  })
})

describe('Soundex', () => {
  const code = (name: string) => {
    const c = soundex(name)
    return c < 0 ? null : String.fromCharCode(97 + (c >> 9)).toUpperCase() + ((c >> 6) & 7) + ((c >> 3) & 7) + (c & 7)
  }

  it('gives the published codes', () => {
    assert.equal(code('robert'), 'R163')
    assert.equal(code('rupert'), 'R163')
    assert.equal(code('rubin'), 'R150')
    assert.equal(code('ashcraft'), 'A261')
    assert.equal(code('tymczak'), 'T522')
    assert.equal(code('pfister'), 'P236')
    assert.equal(code('honeyman'), 'H555')
    assert.equal(code('lee'), 'L000')
    assert.equal(code(''), null)
  })
})

describe('date of birth comparison levels', () => {
  const dob = (a: string, b: string) => level(dateOfBirthComparison, { d: a }, { d: b })

  it('recognises exact, swapped day and month, one character, within a week, within a month, within a year and else', () => {
    assert.equal(dob('2014-03-07', '2014-03-07'), 'exact')
    assert.equal(dob('2014-03-07', '2014-07-03'), 'day-month swapped')
    assert.equal(dob('2014-03-07', '2014-03-09'), 'one character')
    assert.equal(dob('2014-03-09', '2014-03-10'), 'within a week')
    assert.equal(dob('2014-03-30', '2014-04-02'), 'within a week')
    assert.equal(dob('2014-03-29', '2014-04-06'), 'within a month')
    assert.equal(dob('2014-03-02', '2014-03-25'), 'within a month')
    assert.equal(dob('2014-03-07', '2014-09-20'), 'within a year')
    assert.equal(dob('2014-03-07', '2010-01-20'), 'else')
  })

  it('treats a malformed or impossible date as unknown, not as a mismatch', () => {
    assert.equal(dob('2014-02-30', '2014-03-07'), 'unknown')
    assert.equal(dob('not known', '2014-03-07'), 'unknown')
  })
})

describe('postcode comparison levels', () => {
  const pc = (a: string, b: string) => level(postcodeComparison, { p: a }, { p: b })

  it('walks down unit, sector, district and area', () => {
    assert.equal(pc('ZZ99 3AB', 'zz993ab'), 'unit')
    assert.equal(pc('ZZ99 3AB', 'ZZ99 3XY'), 'sector')
    assert.equal(pc('ZZ99 3AB', 'ZZ99 4AB'), 'district')
    assert.equal(pc('ZZ99 3AB', 'ZZ1 4AB'), 'area')
    assert.equal(pc('ZZ99 3AB', 'YY1 4AB'), 'else')
  })

  it('compares a postcode that is not a UK one as a plain string', () => {
    assert.equal(pc('75001', '75001'), 'unit')
    assert.equal(pc('75001', '75002'), 'else')
    assert.equal(pc('75001', 'ZZ99 3AB'), 'else')
  })
})

describe('residence: postcode and address together', () => {
  const withAddress: FileMapping = { ...mapping, fields: { ...mapping.fields, address: ['a'] } }
  const res = (a: [string, string], b: [string, string]) => {
    const g = compareRecords(residenceComparison, toLinkRecord({ id: '1', p: a[0], a: a[1] }, withAddress), toLinkRecord({ id: '2', p: b[0], a: b[1] }, withAddress))
    return g === NULL_LEVEL ? 'unknown' : residenceComparison.levels[g]
  }

  it('ranks the same address highest, and a mistyped postcode on the same address above a different one', () => {
    assert.equal(res(['ZZ99 3AB', '4 Mill Lane'], ['ZZ99 3AB', '4 mill lane']), 'same address')
    assert.equal(res(['ZZ99 3AB', '4 Mill Lane'], ['ZZ99 3AB', '4 Mill Lne']), 'similar address, same postcode')
    assert.equal(res(['ZZ99 3AB', '4 Mill Lane'], ['ZZ99 3AB', '9 Oak Close']), 'postcode unit')
    assert.equal(res(['ZZ99 3AB', '4 Mill Lane'], ['ZZ9 1XY', '4 Mill Lane']), 'same address, other postcode')
    assert.equal(res(['ZZ99 3AB', '4 Mill Lane'], ['ZZ99 3XY', '9 Oak Close']), 'sector')
    assert.equal(res(['ZZ99 3AB', ''], ['ZZ1 4AB', '9 Oak Close']), 'area')
    assert.equal(res(['', '4 Mill Lane'], ['ZZ99 3AB', '4 Mill Lane']), 'unknown')
  })
})

describe('identifiers and sex', () => {
  it('compares NHS numbers only when both are valid', () => {
    const nhs = byName('nhs_number')

    assert.equal(level(nhs, { n: '943 476 5919' }, { n: '9434765919' }), 'exact')
    assert.equal(level(nhs, { n: '9434765919' }, { n: '9434765870' }), 'else')
    assert.equal(level(nhs, { n: '9434765918' }, { n: '9434765919' }), 'unknown')
  })

  it('compares UPNs and sex exactly, with unknown sex as unknown', () => {
    assert.equal(level(byName('upn'), { u: 'A123456789012' }, { u: 'a123456789012' }), 'exact')
    assert.equal(level(byName('sex'), { x: 'Male' }, { x: 'm' }), 'exact')
    assert.equal(level(byName('sex'), { x: 'F' }, { x: 'M' }), 'else')
    assert.equal(level(byName('sex'), { x: 'Not known' }, { x: 'M' }), 'unknown')
  })
})
