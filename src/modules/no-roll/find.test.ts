import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadAliasTable } from '../linkage/nicknames.ts'
import { generateLink, type SynthRow } from '../linkage/synth.ts'
import { runLinkage } from '../linkage/service.ts'
import { checkAgainstIdentifiers, findUnrolled, linkRecordOf, MAPPING, type KnownRecord, type PopulationRecord } from './find.ts'

const aliases = loadAliasTable()
const fields = (r: SynthRow) => ({
  forename: r.forename, surname: r.surname, dateOfBirth: r.date_of_birth || null, sex: r.sex || null, postcode: r.postcode || null,
  address: r.address || null, nhsNumber: r.nhs_number || null, upn: r.upn || null,
})

test('finds the population children on no roll, groups a child found in two sources, and explains the nearest roll record', () => {
  const { left, right } = generateLink({ people: 3000, duplicateRate: 0, errorRate: 0.1, seed: 7, overlap: 0.9 })
  const roll: KnownRecord[] = left.map((r) => ({ key: `roll:${r.id}`, label: `Roll row ${r.id}`, href: null, ...fields(r), nhsNumber: null }))
  // Sources reject rows without a date of birth (no date, no school age), so the generated ones are left out here too.
  const gp: PopulationRecord[] = right.filter((r) => r.date_of_birth).map((r) => ({ key: `gp:${r.id}`, sourceId: 'gp', sourceType: 'GP registrations', dataDate: '2026-10-01', recordRef: r.id, ...fields(r), upn: null }))
  // The council tax file holds the first 200 GP children again, without NHS numbers.
  const tax: PopulationRecord[] = right.filter((r) => r.date_of_birth).slice(0, 200).map((r) => ({ key: `ct:${r.id}`, sourceId: 'ct', sourceType: 'Council tax', dataDate: '2026-09-01', recordRef: `CT-${r.id}`, ...fields(r), nhsNumber: null, upn: null }))

  const stages: string[] = []
  const result = findUnrolled([...gp, ...tax], roll, 0.5, aliases, (stage) => stages.push(stage))
  assert.deepEqual(stages.map((s) => s.replace(/\d[\d,]*/g, 'N')), ['Grouping N population records into children',
    'Linking N children with N roll and register records', 'Checking the links against shared NHS numbers and UPNs, and listing the children on no roll'])

  const onRoll = new Set(left.map((r) => r.person_id))
  const truthOf = new Map(right.map((r) => [r.id, r.person_id]))
  const expected = new Set(right.filter((r) => r.date_of_birth && !onRoll.has(r.person_id)).map((r) => r.person_id))
  const flagged = result.candidates.map((c) => truthOf.get(c.evidence.find((e) => e.sourceId === 'gp')?.recordRef ?? c.evidence[0].recordRef.replace('CT-', '')))
  const falseFlags = flagged.filter((p) => onRoll.has(p!)).length
  const found = flagged.filter((p) => expected.has(p!)).length
  assert.ok(expected.size > 100, `generated ${expected.size} children on no roll`)
  assert.ok(found / expected.size >= 0.98, `found ${found} of ${expected.size}`)
  // The target: under 2% of flagged children are in fact on a roll.
  assert.ok(falseFlags / flagged.length < 0.02, `${falseFlags} of ${flagged.length} flags are children on a roll`)

  // Children in both population files are one candidate with two pieces of evidence, ranked first.
  const twoSources = result.candidates.filter((c) => new Set(c.evidence.map((e) => e.sourceId)).size === 2)
  assert.ok(twoSources.length > 0)
  assert.equal(result.candidates[0].evidence.length >= 2, true)
  assert.deepEqual(result.candidates.map((c) => c.rank), result.candidates.map((_, i) => i + 1))
  assert.equal(result.summary.people, result.summary.linkedPeople + result.summary.candidates)

  // A near miss carries its waterfall: the prior and then one step per comparison, summing to its weight.
  const withMiss = result.candidates.find((c) => c.nearMiss)!
  const sum = withMiss.nearMiss!.steps.reduce((a, s) => a + s.weight + s.tfAdjustment, 0)
  assert.ok(Math.abs(sum - withMiss.nearMiss!.weight) < 1e-9)
  assert.ok(withMiss.nearMiss!.probability < 1)
  // The last step takes the pair's own weight to that of the probability the run used, which weighs the
  // records' other candidates.
  assert.equal(withMiss.nearMiss!.steps.at(-1)!.comparison, 'candidates')
  const p = withMiss.nearMiss!.probability
  assert.ok(Math.abs(withMiss.nearMiss!.weight - Math.log2(p / (1 - p))) < 1e-6)
  assert.ok(result.model.household && result.model.household.atHome > 0.5, 'children at one address mostly share a surname')
  assert.ok(result.model.comparisons.some((c) => c.name === 'date_of_birth'))
  assert.ok(result.blocking.length > 0 && result.blocking.some((b) => b.pairs > 0))
})

test('keeps false flags under 2% with heavy errors and no identifier shared between the roll and the GP list', () => {
  // One field in five wrong in each copy, as in the "heavy errors"; rolls carry UPNs and GP lists NHS
  // numbers, so nothing but names, dates and addresses joins them. Rows without a date of birth are refused
  // by the sources, so they are left out here.
  const { left, right } = generateLink({ people: 10_000, duplicateRate: 0, errorRate: 0.2, seed: 7, overlap: 0.9 })
  const rollRows = left.filter((r) => r.date_of_birth)
  const roll: KnownRecord[] = rollRows.map((r) => ({ key: `r:roll:${r.id}`, label: `Roll row ${r.id}`, href: null, ...fields(r), nhsNumber: null }))
  const gp: PopulationRecord[] = right.filter((r) => r.date_of_birth).map((r) => ({ key: `gp:${r.id}`, sourceId: 'gp', sourceType: 'GP registrations', dataDate: '2026-10-01', recordRef: r.id, ...fields(r), upn: null }))

  const result = findUnrolled(gp, roll, 0.5, aliases)

  const onRoll = new Set(rollRows.map((r) => r.person_id))
  const truthOf = new Map(right.map((r) => [r.id, r.person_id]))
  const flagged = result.candidates.map((c) => truthOf.get(c.evidence[0].recordRef)!)
  const expected = new Set(right.filter((r) => r.date_of_birth && !onRoll.has(r.person_id)).map((r) => r.person_id))
  const falseFlags = flagged.filter((p) => onRoll.has(p)).length
  const found = new Set(flagged.filter((p) => expected.has(p))).size
  assert.ok(falseFlags / flagged.length < 0.02, `${falseFlags} of ${flagged.length} flags are children on a roll`)
  assert.ok(found / expected.size >= 0.99, `found ${found} of ${expected.size} children on no roll`)
})

test('with nothing to link against, every population child is a candidate', () => {
  const pop: PopulationRecord[] = [{ key: 'a', sourceId: 's', sourceType: 'GP registrations', dataDate: '2026-10-01', recordRef: 'A1', forename: 'Ada', surname: 'Quill', dateOfBirth: '2015-02-03', sex: 'female', postcode: null, address: null, nhsNumber: null, upn: null }]
  const result = findUnrolled(pop, [], 0.9, aliases)
  assert.equal(result.candidates.length, 1)
  assert.equal(result.candidates[0].nearMiss, null)
  assert.equal(result.candidates[0].fingerprint, 'person:quill|ada|2015-02-03')
})

test('checks a run against the NHS numbers its sources share, scoring those pairs again without them', () => {
  const { left, right } = generateLink({ people: 2000, duplicateRate: 0, errorRate: 0.1, seed: 8, overlap: 0.9 })
  // Both sides keep their NHS numbers (the generator leaves some out and mistypes others, as real files do).
  const roll: KnownRecord[] = left.map((r) => ({ key: `roll:${r.id}`, label: `Roll row ${r.id}`, href: null, ...fields(r), upn: null }))
  const gp: PopulationRecord[] = right.filter((r) => r.date_of_birth).map((r) => ({ key: `gp:${r.id}`, sourceId: 'gp', sourceType: 'GP registrations', dataDate: '2026-10-01', recordRef: r.id, ...fields(r), upn: null }))
  const check = findUnrolled(gp, roll, 0.5, aliases).summary.identifierCheck!
  assert.ok(check.truthPairs > 500, `${check.truthPairs} pairs share an NHS number`)
  assert.ok(check.linkedToTruth / check.truthPairs > 0.99, `${check.linkedToTruth} of ${check.truthPairs} linked to the record with their NHS number`)
  assert.equal(check.sampled, check.truthPairs, 'fewer than the sample size, so every pair is scored again')
  assert.ok(check.stillLinked / check.sampled > 0.97, `${check.stillLinked} of ${check.sampled} still link without the identifier`)
  assert.ok(check.linksWithIdentifiers > 500 && check.contradicted / check.linksWithIdentifiers < 0.01)
})

test('counts a link between records with different NHS numbers as contradicted, and a number two known records share as no truth', () => {
  const { left, right } = generateLink({ people: 1000, duplicateRate: 0, errorRate: 0.1, seed: 9, overlap: 0.9 })
  const { model } = runLinkage(right.map((r) => linkRecordOf({ key: r.id, ...fields(r) })), left.map((r) => linkRecordOf({ key: r.id, ...fields(r) })), MAPPING, aliases)
  const person = { forename: 'ada', surname: 'fernhollow', dateOfBirth: '2014-03-02', sex: 'F', postcode: 'ZZ99 3AB', address: '1 test row', upn: null }
  const pop = [linkRecordOf({ key: 'p1', ...person, nhsNumber: '4000000004' }), linkRecordOf({ key: 'p2', ...person, forename: 'bea', nhsNumber: '4000000071' }),
    // Shares k4's NHS number and nothing else: without the number it would not link.
    linkRecordOf({ key: 'p3', forename: 'zed', surname: 'quillborne', dateOfBirth: '2010-07-19', sex: 'M', postcode: 'ZZ1 1ZZ', address: '9 far lane', upn: null, nhsNumber: '4000000136' })]
  const kn = [linkRecordOf({ key: 'k1', ...person, nhsNumber: '4000000004' }), linkRecordOf({ key: 'k2', ...person, nhsNumber: '4000000004' }),
    linkRecordOf({ key: 'k3', ...person, forename: 'bea', nhsNumber: '4000000071' }), linkRecordOf({ key: 'k4', ...person, nhsNumber: '4000000136' })]
  // p1 linked to a record with another NHS number; p2 to its own; p3 to none.
  const check = checkAgainstIdentifiers(model, pop, kn, Int32Array.from([3, 2, -1]), 0.5)
  assert.deepEqual(check, { truthPairs: 2, linkedToTruth: 1, sampled: 2, stillLinked: 1, linksWithIdentifiers: 2, contradicted: 1 })
})
