import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'csv-parse/sync'
import { ROOT } from '../../platform/paths.ts'
import { ageBand } from './evaluate.ts'
import { runMatchCommand } from './command.ts'
import { generateDedupe, rowsToCsv, SYNTH_MAPPING } from './synth.ts'

const FIXTURES = join(ROOT, 'test/fixtures/linkage')
const tempDir = (t: { after: (fn: () => void) => void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-match-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[]

describe('lantern match link', () => {
  it('links a school roll to a GP list through nicknames, spelling, date formats and postcode styles', (t) => {
    const out = tempDir(t)

    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'match', 'link', join(FIXTURES, 'roll.csv'),
      join(FIXTURES, 'gp.csv'), '--mapping', join(FIXTURES, 'mapping.json'), '--out', out], { cwd: ROOT, encoding: 'utf8' })

    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /Records: 10 and 9/)
    assert.match(run.stdout, /Peak memory: \d+ MB/)
    const pairs = readCsv(join(out, 'pairs.csv'))
    const linked = pairs.filter((p) => Number(p.match_probability) >= 0.5).map((p) => `${p.left_id}=${p.right_id}`).sort()
    assert.deepEqual(linked, ['A123456789012=GP1', 'A123456789013=GP2', 'A123456789014=GP3', 'A123456789016=GP4',
      'A123456789017=GP5', 'A123456789019=GP6', 'A123456789020=GP7', 'A123456789021=GP9'])
    const alfie = pairs.find((p) => p.right_id === 'GP1')!
    assert.equal(alfie.forename, 'alias')
    assert.equal(alfie.residence, 'similar address, same postcode')
    assert.ok('mw_date_of_birth' in alfie)
    const clusters = readCsv(join(out, 'clusters.csv'))
    const clusterOf = (id: string) => clusters.find((c) => c.record_id === id)!.cluster_id
    assert.equal(clusterOf('A123456789014'), clusterOf('GP3'))
    assert.notEqual(clusterOf('A123456789015'), clusterOf('GP3'))
    assert.equal(clusters.filter((c) => c.cluster_id === clusterOf('GP8')).length, 1)
  })

  it('writes ids that hold commas, quotes or a leading formula character so a spreadsheet reads them as text', async (t) => {
    const dir = tempDir(t)
    const ids = ['=1+2', 'a,b', 'say "hi"', '-5', 'plain-id_1.2']
    const rows = ids.map((id, k) => ({ id, forename: 'Amelia', surname: 'Ashgrove', date_of_birth: `2014-03-0${k + 1}` }))
    const csv = `id,forename,surname,date_of_birth\n${rows.map((r) => `"${r.id.replace(/"/g, '""')}",${r.forename},${r.surname},${r.date_of_birth}`).join('\n')}\n`
    writeFileSync(join(dir, 'people.csv'), csv)
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify({ id: 'id', fields: { forename: 'forename', surname: 'surname', dateOfBirth: 'date_of_birth' } }))

    const code = await runMatchCommand(['dedupe', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--out', dir, '--min-probability', '0'], () => {}, () => {})

    assert.equal(code, 0)
    const written = readCsv(join(dir, 'clusters.csv')).map((c) => c.record_id).sort()
    assert.deepEqual(written, ["'-5", "'=1+2", 'a,b', 'plain-id_1.2', 'say "hi"'])
    const pairIds = new Set(readCsv(join(dir, 'pairs.csv')).flatMap((p) => [p.left_id, p.right_id]))
    assert.ok(pairIds.has("'=1+2") && pairIds.has('a,b'))
  })

  it('reports a bad mapping without a stack trace', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ id: 'upn', fields: { forename: 'nope' } }))
    const errors: string[] = []

    const code = await runMatchCommand(['dedupe', join(FIXTURES, 'roll.csv'), '--mapping', join(dir, 'bad.json'), '--out', dir], () => {}, (l) => errors.push(l))

    assert.equal(code, 1)
    assert.match(errors.join('\n'), /has no column "nope"/)
  })

  it('reports a column missing from the second file, which is read in a worker thread, without a stack trace', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'gp.csv'), 'patient_ref,first_name\nGP1,Amy\n')
    const errors: string[] = []

    const code = await runMatchCommand(['link', join(FIXTURES, 'roll.csv'), join(dir, 'gp.csv'), '--mapping', join(FIXTURES, 'mapping.json'), '--out', dir],
      () => {}, (l) => errors.push(l))

    assert.equal(code, 1)
    assert.match(errors.join('\n'), /gp\.csv has no column "last_name"/)
  })

  it('asks for the output folder', async () => {
    const errors: string[] = []

    const code = await runMatchCommand(['link', 'a.csv', 'b.csv', '--mapping', 'm.json'], () => {}, (l) => errors.push(l))

    assert.equal(code, 1)
    assert.match(errors.join(''), /--out DIR/)
  })

  it('names an option it does not know, with the usage, and no stack trace', async () => {
    const errors: string[] = []

    const code = await runMatchCommand(['link', 'a.csv', 'b.csv', '--mapping', 'm.json', '--out', 'x', '--threshold', '0.5'], () => {}, (l) => errors.push(l))

    assert.equal(code, 1)
    assert.match(errors.join('\n'), /Unknown option '--threshold'/)
    assert.match(errors.join('\n'), /lantern match link LEFT\.csv/)
    assert.doesNotMatch(errors.join('\n'), /at parseArgs/)
  })
})

describe('lantern match dedupe and evaluate', () => {
  it('finds the duplicates in a generated file and scores itself against the truth column', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'people.csv'), rowsToCsv(generateDedupe({ people: 1500, duplicateRate: 0.2, errorRate: 0.1, seed: 5 })))
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify(SYNTH_MAPPING))
    const lines: string[] = []

    const dedupe = await runMatchCommand(['dedupe', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--out', join(dir, 'out')], (l) => lines.push(l), () => {})
    const evaluate = await runMatchCommand(['evaluate', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--truth', 'person_id', '--json'], (l) => lines.push(l), () => {})

    assert.equal(dedupe, 0)
    assert.equal(evaluate, 0)
    const clusters = readCsv(join(dir, 'out/clusters.csv'))
    assert.ok(clusters.length > 1500)
    const figures = JSON.parse(lines.at(-1)!)
    const atHalf = figures.thresholds.find((x: { threshold: number }) => x.threshold === 0.5)
    assert.ok(figures.blockingRecall > 0.99)
    assert.ok(atHalf.f1 > 0.97, `F1 ${atHalf.f1}`)
    // The breakdown by age band and by sex accounts for every true pair and every one found.
    type Group = { truePairs: number; found: number }
    const sum = (gs: Group[], k: keyof Group) => gs.reduce((a, g) => a + g[k], 0)
    for (const groups of [figures.breakdown.ageBands, figures.breakdown.sexes]) {
      assert.equal(sum(groups, 'truePairs'), figures.truePairs)
      assert.equal(sum(groups, 'found'), atHalf.truePositives)
    }
    assert.deepEqual(figures.breakdown.sexes.map((g: { group: string }) => g.group), ['female', 'male', 'not known'])
    assert.ok(figures.breakdown.sexes[0].truePairs > 0 && figures.breakdown.sexes[1].truePairs > 0, 'girls and boys are counted as such')
  })
})

describe('age bands for the breakdown', () => {
  it('counts whole years on the day, with a birthday not yet reached taking a year off', () => {
    assert.equal(ageBand('2021-11-30', '2026-11-29'), 'under 5')
    assert.equal(ageBand('2021-11-29', '2026-11-29'), '5 to 10')
    assert.equal(ageBand('2010-11-30', '2026-11-29'), '11 to 15')
    assert.equal(ageBand('2010-11-29', '2026-11-29'), '16 and over')
    assert.equal(ageBand(null, '2026-11-29'), 'not known')
  })
})

describe('lantern match synth', () => {
  it('writes fictional files with a truth column and a mapping that evaluate can use at once', async (t) => {
    const out = tempDir(t)
    const lines: string[] = []
    assert.equal(await runMatchCommand(['synth', '--people', '300', '--link', '--overlap', '0.8', '--out', out], (l) => lines.push(l), () => {}), 0)
    assert.match(lines.join('\n'), /Wrote \d+ and \d+ fictional records/)
    const left = readCsv(join(out, 'left.csv'))
    assert.ok(left.length > 200 && 'person_id' in left[0])
    const report: string[] = []
    assert.equal(await runMatchCommand(['evaluate', join(out, 'left.csv'), join(out, 'right.csv'), '--mapping', join(out, 'mapping.json'), '--truth', 'person_id', '--json'],
      (l) => report.push(l), () => {}), 0)
    const evaluation = JSON.parse(report.join('\n')) as { blockingRecall: number; thresholds: { threshold: number; flagged: number; falseFlags: number }[]; breakdown: { ageBands: { flagged: number; falseFlags: number }[] } }
    assert.ok(evaluation.blockingRecall > 0.9, `blocking recall ${evaluation.blockingRecall}`)
    const atHalf = evaluation.thresholds.find((x) => x.threshold === 0.5)!
    assert.equal(evaluation.breakdown.ageBands.reduce((a, g) => a + g.flagged, 0), atHalf.flagged)
    assert.equal(evaluation.breakdown.ageBands.reduce((a, g) => a + g.falseFlags, 0), atHalf.falseFlags)
  })

  it('refuses bad numbers with a clear message', async () => {
    const errors: string[] = []
    assert.equal(await runMatchCommand(['synth', '--people', '10', '--duplicates', '2', '--out', '/tmp/unused'], () => {}, (l) => errors.push(l)), 1)
    assert.match(errors.join('\n'), /--duplicates must be between 0 and 1/)
  })
})
