import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildComparisons, compareRecords, dateOfBirthComparison, NULL_LEVEL, postcodeComparison, residenceComparison, type Comparison } from './comparisons.ts'
import { aliasTableFromRows } from './nicknames.ts'
import { toLinkRecord } from './records.ts'
import { jaro, jaroWinkler, soundex, withinOneEdit } from './similarity.ts'
import { corrupt, generatePeople } from './synth.ts'
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

describe('name levels worked out without the full measure', () => {
  // The comparison settles most pairs from the letters each name has; this is the measure written out in
  // full, as the levels define it, for pairs of generated names with typing errors and swaps.
  const byDefinition = (a: string, b: string, withAliases: boolean): string => {
    if (a === b) return 'exact'
    if (withAliases && (a.split(' ')[0] === b.split(' ')[0] || aliases.areAliases(a.split(' ')[0], b.split(' ')[0]))) return 'alias'
    const jw = jaroWinkler(a, b)
    if (jw >= 0.92) return 'jw>=0.92'
    if (jw >= 0.88 || withinOneEdit(a, b)) return 'jw>=0.88 or one edit'
    return soundex(a) === soundex(b) ? 'sounds alike' : 'else'
  }

  it('gives every pair the level the definition gives', () => {
    let seed = 7
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const people = generatePeople({ people: 600, duplicateRate: 0, errorRate: 0, seed: 3 })
    const noisy = people.map((p, k) => corrupt(p, `x${k}`, 0.6, random))
    for (const [field, key, withAliases] of [['forename', 'f', true], ['surname', 's', false]] as const) {
      const c = byName(field)
      for (let k = 0; k < people.length; k++) {
        for (const b of [noisy[k][field], people[(k * 7 + 1) % people.length][field], noisy[(k * 13 + 5) % people.length][field]]) {
          const a = people[k][field]
          const got = level(c, { [key]: a }, { [key]: b })
          if (!a.trim() || !b.trim()) continue
          const norm = (x: string) => rec({ [key]: x })[field === 'forename' ? 'forename' : 'surname']!
          assert.equal(got, byDefinition(norm(a), norm(b), withAliases), `${field}: ${a} / ${b}`)
        }
      }
    }
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

  it('counts one character as one edit of the written date, over many dates', () => {
    // The comparison works on the date's digits packed into a number; the definition is on the ISO string.
    let seed = 11
    const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    // The engine reads years 1900 to 2100 (others are unknown).
    const valid = (d: string) => /^(19|20)\d{2}-\d{2}-\d{2}$/.test(d) && Number.isFinite(Date.parse(d)) && iso(Date.parse(d)) === d
    let checked = 0
    for (let k = 0; k < 4000; k++) {
      const a = iso(Date.UTC(2008, 0, 1) + random(14 * 365) * 86_400_000)
      const chars = [...a]
      const at = [0, 1, 2, 3, 5, 6, 8, 9][random(8)]
      const kind = random(3)
      if (kind === 0) chars[at] = String(random(10))
      else if (kind === 1 && at < 9 && chars[at + 1] !== '-') [chars[at], chars[at + 1]] = [chars[at + 1], chars[at]]
      else chars.splice(0, 10, ...iso(Date.parse(a) + (random(90) - 45) * 86_400_000))
      const b = chars.join('')
      if (!valid(b) || a === b || (a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7))) continue
      const days = Math.abs(Date.parse(a) - Date.parse(b)) / 86_400_000
      const expected = withinOneEdit(a, b) ? 'one character' : days <= 7 ? 'within a week' : days <= 31 ? 'within a month' : days <= 366 ? 'within a year' : 'else'
      assert.equal(dob(a, b), expected, `${a} / ${b}`)
      checked++
    }
    assert.ok(checked > 2000)
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

describe('extra columns and an address without a postcode', () => {
  const withExtras: FileMapping = {
    id: 'id', dateFormat: 'ISO', fields: { forename: ['f'], address: ['a'] },
    extra: [{ name: 'school_urn', columns: ['urn'], compare: 'exact' }, { name: 'club', columns: ['club'], compare: 'fuzzy' }],
  }
  const extraComps = buildComparisons(withExtras, withExtras, aliases)
  const at = (name: string, a: Record<string, string>, b: Record<string, string>) => {
    const c = extraComps.find((x) => x.name === name)!
    const g = compareRecords(c, toLinkRecord({ id: '1', f: '', a: '', urn: '', club: '', ...a }, withExtras), toLinkRecord({ id: '2', f: '', a: '', urn: '', club: '', ...b }, withExtras))
    return g === NULL_LEVEL ? 'unknown' : c.levels[g]
  }

  it('compares an exact extra column as the same value or not, and a missing one as unknown', () => {
    assert.deepEqual(extraComps.find((c) => c.name === 'school_urn')!.levels, ['exact', 'else'])
    assert.equal(at('school_urn', { urn: '100001' }, { urn: '100001' }), 'exact')
    assert.equal(at('school_urn', { urn: '100001' }, { urn: '100002' }), 'else')
    // Exact means exact: no folding of case or spelling, unlike a fuzzy column.
    assert.equal(at('school_urn', { urn: 'AB1' }, { urn: 'ab1' }), 'else')
    assert.equal(at('school_urn', { urn: '' }, { urn: '100002' }), 'unknown')
  })

  it('compares a fuzzy extra column by Jaro-Winkler, after folding case and punctuation', () => {
    assert.deepEqual(extraComps.find((c) => c.name === 'club')!.levels, ['exact', 'jw>=0.92', 'jw>=0.88', 'else'])
    assert.equal(at('club', { club: 'Northmoor Harriers' }, { club: 'northmoor harriers!' }), 'exact')
    assert.equal(at('club', { club: 'Northmoor Harriers' }, { club: 'Northmoor Harrier' }), 'jw>=0.92')
    // Jaro-Winkler 0.906.
    assert.equal(at('club', { club: 'Northmoor Harriers' }, { club: 'Northmoor Runners' }), 'jw>=0.88')
    assert.equal(at('club', { club: 'Northmoor Harriers' }, { club: 'Ember Swimming' }), 'else')
    assert.equal(at('club', { club: 'Northmoor Harriers' }, { club: '' }), 'unknown')
  })

  it('compares the address alone, by Jaro-Winkler, when the files have no postcode', () => {
    assert.deepEqual(extraComps.map((c) => c.name), ['forename', 'address', 'school_urn', 'club'])
    assert.deepEqual(extraComps.find((c) => c.name === 'address')!.levels, ['exact', 'jw>=0.9', 'jw>=0.8', 'else'])
    assert.equal(at('address', { a: '12 Lantern Row' }, { a: '12 lantern row' }), 'exact')
    assert.equal(at('address', { a: '12 Lantern Row' }, { a: '12 Lantern Rw' }), 'jw>=0.9')
    // Jaro-Winkler 0.877.
    assert.equal(at('address', { a: '12 Lantern Row' }, { a: '21 Lantern Way' }), 'jw>=0.8')
    assert.equal(at('address', { a: '12 Lantern Row' }, { a: '9 Oak Close' }), 'else')
    assert.equal(at('address', { a: '' }, { a: '9 Oak Close' }), 'unknown')
  })
})
