import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockLimit, blockPairs, MAX_BLOCK, MAX_NAME_BLOCK, type BlockCache } from './blocking.ts'
import { connectedComponents } from './clusters.ts'
import { Dictionaries, encodePair, encodeTable } from './encode.ts'
import { parseMapping, fileMapping } from './mapping.ts'
import { toLinkRecord } from './records.ts'
import { oneToOneLinks, oneToOneProbabilities, recordProbabilities } from './posterior.ts'
import { bestMatchesOnly, strongestFirst } from './service.ts'

const mapping = fileMapping(parseMapping({ id: 'id', fields: { forename: 'f', surname: 's', dateOfBirth: 'd' } }), 'left')
const people = [
  ['1', 'ruby', 'ashgrove', '2014-12-01'],
  ['2', 'ruby', 'ashgrove', '2014-12-01'],
  ['3', 'rubie', 'ashgrove', '2014-12-01'],
  ['4', 'ruby', 'ashgrove', ''],
  ['5', '', 'thornbury', '2014-12-01'],
].map(([id, f, s, d]) => toLinkRecord({ id, f, s, d }, mapping))
const table = encodePair(people, null).left

const pairsOf = (p: ReturnType<typeof blockPairs>) => Array.from(p.left, (l, i) => `${people[l].id}-${people[p.right[i]].id}:${p.rule[i]}`)

describe('blocking', () => {
  it('unions equi-join rules, crediting each pair to the first rule that finds it', () => {
    const pairs = blockPairs(table, null, [['forename', 'surname'], ['dateOfBirth']])

    assert.deepEqual(pairsOf(pairs).sort(), ['1-2:0', '1-3:1', '1-4:0', '1-5:1', '2-3:1', '2-4:0', '2-5:1', '3-5:1'])
    assert.deepEqual(pairs.perRule, [3, 5])
  })

  it('never joins on an unknown value', () => {
    const pairs = blockPairs(table, null, [['forename']])

    assert.ok(!pairsOf(pairs).some((p) => p.includes('5')))
  })

  it('skips a key shared by more records than the block limit, leaving those pairs to other rules', () => {
    // Four records share the surname ashgrove; with a limit of 3 the surname rule pairs none of them, and the
    // first-name rule (three Rubys) still pairs those it can.
    const pairs = blockPairs(table, null, [['surname'], ['forename']], Infinity, 3)

    assert.deepEqual(pairs.perRule, [0, 3])
    assert.deepEqual(pairsOf(pairs).sort(), ['1-2:1', '1-4:1', '2-4:1'])
  })

  it('meets a date of birth with day and month swapped, and names with typos, through the any-order date key', () => {
    const rows = (list: string[][]) => list.map(([id, f, s, d]) => toLinkRecord({ id, f, s, d }, mapping))
    const roll = rows([['r1', 'leine', 'demirovic', '2019-06-10'], ['r2', 'leine', 'demirovic', '2019-06-11']])
    const gp = rows([['g1', 'lenie', 'demieovic', '2019-10-06']])
    const both = encodePair(roll, gp)

    const pairs = blockPairs(both.left, both.right, [['birthDateAnyOrder', 'forenameInitial', 'surnameInitial']])
    const exact = blockPairs(both.left, both.right, [['dateOfBirth', 'forenameInitial', 'surnameInitial']])

    assert.deepEqual(Array.from(pairs.left, (l, k) => `${roll[l].id}-${gp[pairs.right[k]].id}`), ['r1-g1'])
    assert.equal(exact.length, 0)
  })

  it('gives the same pairs from blocks kept from training (made with no limit) as from blocks made afresh', () => {
    const cache: BlockCache = new Map()
    // Training blocks on surname with no limit and keeps the blocks; blocking then uses them under a limit.
    blockPairs(table, null, [['surname']], 2, Infinity, cache)
    assert.ok(cache.has('surname'))

    const kept = blockPairs(table, null, [['surname'], ['forename']], Infinity, 3, cache)
    const fresh = blockPairs(table, null, [['surname'], ['forename']], Infinity, 3)
    assert.deepEqual(pairsOf(kept), pairsOf(fresh))
    assert.deepEqual(kept.perRule, [0, 3])
  })

  it('pairs a table with one encoded later, after the names dictionary grew', () => {
    // Keys pack dictionary ids in as many bits as the dictionary needs: both sides must use today's size,
    // not one remembered from blocking the first table on its own.
    const dicts = new Dictionaries()
    const first = encodeTable([people[0], people[2]], dicts)
    blockPairs(first, null, [['forename', 'surname', 'birthYear'], ['forenameSoundex', 'birthYear']])
    const others = ['ada', 'bea', 'cal', 'dot', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon'].map((f, k) => toLinkRecord({ id: `n${k}`, f, s: `${f}son`, d: '2013-01-01' }, mapping))
    const second = encodeTable([...others, people[2]], dicts)

    const pairs = blockPairs(first, second, [['forename', 'surname', 'birthYear'], ['forenameSoundex', 'birthYear']])
    // Rubie Ashgrove in both, on the names and year; Ruby and Rubie on their sound and year.
    assert.deepEqual(Array.from(pairs.left, (l, k) => `${l}-${pairs.right[k]}:${pairs.rule[k]}`), [`1-${others.length}:0`, `0-${others.length}:1`])
  })

  it('limits rules on names alone to smaller blocks than other rules', () => {
    assert.equal(blockLimit(['forename', 'surnameInitial']), MAX_NAME_BLOCK)
    assert.equal(blockLimit(['forenameSoundex', 'surname']), MAX_NAME_BLOCK)
    assert.equal(blockLimit(['forename', 'surname', 'birthYear']), MAX_BLOCK)
    assert.ok(MAX_NAME_BLOCK < MAX_BLOCK)
  })

  it('links every left record with every matching right record in link mode', () => {
    const both = encodePair(people.slice(0, 2), people.slice(2))
    const pairs = blockPairs(both.left, both.right, [['surname']])

    assert.equal(pairs.length, 4)
  })
})

describe('clustering', () => {
  it('joins records through chains of pairs above the threshold only', () => {
    const a = [0, 1, 3, 4]
    const b = [1, 2, 4, 5]
    const p = [0.99, 0.95, 0.2, 0.97]

    const clusters = connectedComponents(6, a, b, (e) => p[e] >= 0.9)

    assert.deepEqual(Array.from(clusters), [1, 1, 1, 2, 3, 3])
  })
})

describe('one-to-one linking', () => {
  it('gives each record to its strongest pair only, so one twin does not take both links', () => {
    const pairs = { left: Int32Array.from([0, 0, 1, 1]), right: Int32Array.from([0, 1, 0, 1]), rule: new Uint8Array(4), length: 4, perRule: [4] }
    const weights = Float64Array.from([20, 12, 11, 19])

    const eligible = bestMatchesOnly(pairs, weights, 2, 2)

    assert.deepEqual(Array.from(eligible), [1, 0, 0, 1])
  })

  it('lifts a lone so-so candidate, splits two equal ones, and leaves out a candidate linked elsewhere', () => {
    // 1,000 records a side, 900 of them in sure pairs (i with i), so about nine in ten records have a match.
    const lambda = 0.0009
    const sure = Array.from({ length: 900 }, (_, i) => i)
    const withSure = (l: number[], r: number[], w: number[]) => {
      const pairs = { left: Int32Array.from([...sure, ...l]), right: Int32Array.from([...sure, ...r]), length: 900 + l.length }
      const weights = Float64Array.from([...sure.map(() => 25), ...w])
      const eligible = bestMatchesOnly(pairs, weights, 1000, 1000)
      return { p: Array.from(oneToOneProbabilities(pairs, weights, eligible, lambda, 1000, 1000).subarray(900)), first: Array.from(recordProbabilities(pairs, weights, lambda, 1000, 1000).subarray(900)) }
    }
    // Weight -3 is a pairwise probability of 0.11; a record's only candidate is more likely than not its match.
    const lone = withSure([950], [950], [-3]).p
    assert.ok(lone[0] > 0.5, `a record's only candidate: ${lone[0]}`)
    const two = withSure([950, 950], [950, 951], [-3, -3]).p
    assert.ok(two[0] < 0.5 && Math.abs(two[0] - two[1]) < 1e-12, `two equal candidates: ${two[0]}`)
    // Left 950's second candidate is right 5, which is surely left 5's: once that is taken, right 950 is all that is left.
    const taken = withSure([950, 950], [950, 5], [-3, -3])
    assert.ok(taken.first[0] < 0.5 && taken.p[0] > 0.5, `before ${taken.first[0]}, after ${taken.p[0]}`)
    assert.ok(taken.p[1] < 0.01)
  })

  it("gives each pair the step from its own weight to its probability's, however strong the pair", () => {
    // 1,000 records a side, 900 in sure pairs; then a lone candidate, two rivals, one linked elsewhere, a far pair.
    const lambda = 0.0009
    const make = (strong: number) => {
      const sure = Array.from({ length: 900 }, (_, i) => i)
      const pairs = { left: Int32Array.from([...sure, 950, 951, 951, 952, 952, 953]), right: Int32Array.from([...sure, 950, 951, 960, 952, 5, 953]), length: 906 }
      const weights = Float64Array.from([...sure.map((i) => (i === 0 ? strong : 25)), -3, 1, -2, -3, -3, -40])
      return { pairs, weights, links: oneToOneLinks(pairs, weights, bestMatchesOnly(pairs, weights, 1000, 1000), lambda, 1000, 1000) }
    }
    const { pairs, weights, links } = make(60)
    assert.deepEqual(Array.from(links.probabilities), Array.from(oneToOneProbabilities(pairs, weights, bestMatchesOnly(pairs, weights, 1000, 1000), lambda, 1000, 1000)))
    // Asked in any order, each pair's own weight plus the step is the weight of the probability given.
    for (const p of [905, 0, 903, 900, 1, 904, 901, 902, 899]) {
      const chance = links.probabilities[p]
      const weight = weights[p] + links.otherCandidates(p)
      if (chance < 0.999) assert.ok(Math.abs(1 / (1 + 2 ** -weight) - chance) < 1e-12 * Math.max(chance, 1e-300) + 1e-15, `pair ${p}: ${chance} against weight ${weight}`)
    }
    // A record's strongest candidate has a step that does not depend on its own weight (its probability is 1 to
    // sixteen places at 60 bits, so the step must come from the other candidates, not from 1 - p).
    const step = (strong: number) => make(strong).links.otherCandidates(0)
    assert.ok(Math.abs(step(60) - step(30)) < 1e-6 && Math.abs(step(60) - links.otherCandidates(1)) < 1e-6, `${step(60)}, ${step(30)}, ${links.otherCandidates(1)}`)
  })

  it('orders pairs strongest first, ties in pair order, over the whole range of weights', () => {
    const weights = Float64Array.from([-3.5, 40.25, 0, 40.25, -900, 12.000001, 12, 2000])

    assert.deepEqual(Array.from(strongestFirst(weights)), [7, 1, 3, 5, 6, 2, 0, 4])
  })
})
