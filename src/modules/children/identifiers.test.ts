import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normalisePostcode, nhsNumberProblem, postcodeProblem, ulnProblem, upnCheckLetter, upnProblem } from './identifiers.ts'

describe('UPN', () => {
  it('accepts permanent and temporary UPNs with the right check letter', () => {
    for (const upn of ['B801200005001', 'H801200001001', 'G80120000101A', 'P207000016049', 'h801 2000 0100 1']) {
      assert.equal(upnProblem(upn), undefined, upn)
    }
  })

  it('computes the check letter from the weighted sum mod 23', () => {
    assert.equal(upnCheckLetter('801200005001'), 'B')
    assert.equal(upnCheckLetter('80120000101A'), 'G')
    // Pupil Asset's help page says Q here, but its own table maps 13 to P.
    assert.equal(upnCheckLetter('207000016049'), 'P')
  })

  it('explains each fault in the census wording', () => {
    assert.equal(upnProblem('B207000016049'), 'UPN invalid (wrong check letter at character 1)')
    assert.equal(upnProblem('A1000000010010'), 'UPN must be 13 characters, like H801200001001')
    assert.equal(upnProblem('A10000000100I'), 'UPN invalid (character 13 not a recognised value)')
    assert.equal(upnProblem('A100000001001'), 'UPN invalid (characters 2-4 not a recognised LA code)')
    assert.equal(upnProblem('A8012000X1001'), 'UPN invalid (characters 2-12 not all numeric)')
  })
})

describe('NHS number', () => {
  it('accepts numbers whose tenth digit is the modulus 11 check digit', () => {
    assert.equal(nhsNumberProblem('943 476 5919'), undefined)
    assert.equal(nhsNumberProblem('9434765919'), undefined)
  })

  it('refuses a wrong check digit, a remainder of 10, and the wrong length', () => {
    assert.match(nhsNumberProblem('9434765918')!, /last digit does not match/)
    // Nine digits whose check value would be 10 are never issued: no tenth digit makes them valid.
    const weighted = (nine: string) => [...nine].reduce((s, d, i) => s + Number(d) * (10 - i), 0)
    const prefix = Array.from({ length: 100 }, (_, i) => `9990000${String(i).padStart(2, '0')}`).find((p) => weighted(p) % 11 === 1)!
    for (let d = 0; d <= 9; d++) assert.match(nhsNumberProblem(`${prefix}${d}`)!, /last digit does not match/)
    assert.match(nhsNumberProblem('94347659')!, /must be 10 digits/)
  })
})

describe('ULN', () => {
  it('accepts a ULN whose weighted sum is 10 mod 11', () => {
    assert.equal(ulnProblem('9276308686'), undefined)
  })
  it('refuses a failing checksum or a leading zero', () => {
    assert.match(ulnProblem('9276308687')!, /do not pass the check/)
    assert.match(ulnProblem('0276308686')!, /not start with 0/)
  })
})

describe('postcodes', () => {
  it('normalises case and spacing', () => {
    assert.equal(normalisePostcode(' sw1a1aa '), 'SW1A 1AA')
    assert.equal(normalisePostcode('ne1  4st'), 'NE1 4ST')
  })
  it('accepts every UK shape and refuses others', () => {
    for (const p of ['A9 9AA', 'A99 9AA', 'A9A 9AA', 'AA9 9AA', 'AA99 9AA', 'AA9A 9AA'].map((f) => f.replace(/A/g, 'B').replace(/9/g, '1'))) {
      assert.equal(postcodeProblem(p), undefined, p)
    }
    assert.match(postcodeProblem('12345')!, /real UK postcode/)
    assert.match(postcodeProblem('SW1A 1AI')!, /real UK postcode/, 'I is not used in the unit')
  })
})
