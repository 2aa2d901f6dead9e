import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileMapping, MappingError, parseMapping } from './mapping.ts'
import { normaliseDate, normalisePostcode } from './normalise.ts'
import { dateOfBirth, Dictionaries } from './encode.ts'
import { parseTable } from './read.ts'

describe('the mapping file', () => {
  it('names every problem with its path', () => {
    assert.throws(() => parseMapping({ fields: { forename: 'a', shoeSize: 'b' }, dateFormat: 'MM/DD/YY' }), (err: Error) => {
      assert.ok(err instanceof MappingError)
      assert.match(err.message, /id: /)
      assert.match(err.message, /dateFormat/)
      assert.match(err.message, /shoeSize/)
      return true
    })
  })

  it('lets the right file rename columns and leave out a field', () => {
    const mapping = parseMapping({ id: 'upn', fields: { forename: 'name', upn: 'upn' }, right: { id: 'ref', fields: { forename: ['first'], upn: null } } })

    const right = fileMapping(mapping, 'right')

    assert.equal(right.id, 'ref')
    assert.deepEqual(right.fields, { forename: ['first'] })
    assert.equal(mapping.dateFormat, 'ISO')
  })

  it('refuses a file that lacks a mapped column, naming the column', () => {
    const mapping = fileMapping(parseMapping({ id: 'id', fields: { surname: 'family_name' } }), 'left')

    assert.throws(() => parseTable('id,surname\n1,Ashgrove\n', mapping, 'roll.csv', new Dictionaries()), /roll.csv has no column "family_name"/)
  })

  it('joins several columns for one field and turns bad values into unknowns', () => {
    const mapping = fileMapping(parseMapping({ id: 'id', dateFormat: 'YYYYMMDD', fields: { forename: ['first', 'middle'], dateOfBirth: 'dob', postcode: 'pc' } }), 'left')

    const t = parseTable('id,first,middle,dob,pc\n1,Theo,James,20150102,zz99 4ba\n2,,,2015-01-02,\n', mapping, 'x.csv', new Dictionaries())

    assert.equal(t.size, 2)
    assert.equal(t.dicts.names.values[t.forename[0]], 'theo james')
    assert.equal(dateOfBirth(t, 0), '2015-01-02')
    assert.equal(t.dicts.postcode.values[t.postcode[0]], 'ZZ99 4BA')
    assert.equal(t.forename[1], -1)
    assert.equal(dateOfBirth(t, 1), null)
    assert.equal(t.postcode[1], -1)
  })
})

describe('normalising values', () => {
  it('reads each date format and rejects impossible dates', () => {
    assert.equal(normaliseDate('2014-03-07', 'ISO'), '2014-03-07')
    assert.equal(normaliseDate('7/3/2014', 'DD/MM/YYYY'), '2014-03-07')
    assert.equal(normaliseDate('20140307', 'YYYYMMDD'), '2014-03-07')
    assert.equal(normaliseDate('31/02/2014', 'DD/MM/YYYY'), null)
    assert.equal(normaliseDate('2014-03-07', 'DD/MM/YYYY'), null)
  })

  it('splits UK postcodes into sector, district and area', () => {
    assert.deepEqual(normalisePostcode(' zz99 3ab'), { value: 'ZZ99 3AB', isUk: true, sector: 'ZZ99 3', district: 'ZZ99', area: 'ZZ' })
    assert.equal(normalisePostcode('D02 X285')?.isUk, false)
  })
})
