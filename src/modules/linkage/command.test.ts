import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'csv-parse/sync'
import { ROOT } from '../../platform/paths.ts'
import { ageBand } from './evaluate.ts'
import { fileSystemMessage, runMatchCommand } from './command.ts'
import { parseMapping } from './mapping.ts'
import { readTables } from './read.ts'
import { generateDedupe, generateLink, rowsToCsv, SYNTH_MAPPING } from './synth.ts'

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
    // Training runs in a worker thread while blocking runs here: timed, and said to be beside blocking.
    assert.match(run.stdout, /Time: load \d+\.\d\d s, train \d+\.\d\d s \(beside blocking\), block \d+\.\d\d s/)
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

  it('names a missing file, a folder given as a file, or an --out that is a file, in one line and before any work', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'results'), 'a file where the results folder should be\n')
    const roll = join(FIXTURES, 'roll.csv')
    const gp = join(FIXTURES, 'gp.csv')
    const mapping = join(FIXTURES, 'mapping.json')
    const run = async (args: string[]) => {
      const out: string[] = []
      const errors: string[] = []
      const code = await runMatchCommand(args, (l) => out.push(l), (l) => errors.push(l))
      return { code, out, errors: errors.join('\n') }
    }
    const cases: [string[], RegExp][] = [
      [['link', join(dir, 'nope.csv'), gp, '--mapping', mapping, '--out', join(dir, 'o')], /^Cannot find the CSV file .*nope\.csv$/],
      [['link', roll, join(dir, 'nope.csv'), '--mapping', mapping, '--out', join(dir, 'o')], /^Cannot find the CSV file .*nope\.csv$/],
      [['dedupe', join(dir, 'nope.csv'), '--mapping', mapping, '--out', join(dir, 'o')], /^Cannot find the CSV file .*nope\.csv$/],
      [['dedupe', dir, '--mapping', mapping, '--out', join(dir, 'o')], /is a folder: give the CSV file itself$/],
      [['link', roll, gp, '--mapping', join(dir, 'nope.json'), '--out', join(dir, 'o')], /^Cannot find the mapping file .*nope\.json$/],
      [['link', roll, gp, '--mapping', mapping, '--out', join(dir, 'results')], /^--out .*results is a file: give a folder for the results$/],
      [['link', roll, gp, '--mapping', mapping, '--out', join(dir, 'results', 'sub')], /^Cannot use .*results.sub: part of that path is a file/],
    ]
    for (const [args, message] of cases) {
      const { code, out, errors } = await run(args)
      assert.equal(code, 1, args.join(' '))
      assert.match(errors, message)
      assert.doesNotMatch(errors, /\n|\bat /, 'one line, no stack trace')
      assert.deepEqual(out, [], 'nothing was read or linked')
    }
  })

  it('names the file when the worker thread that reads the second file cannot read it', async (t) => {
    const dir = tempDir(t)
    mkdirSync(join(dir, 'gp.csv'))
    const mapping = parseMapping(JSON.parse(readFileSync(join(FIXTURES, 'mapping.json'), 'utf8')))
    for (const [right, message] of [[join(dir, 'missing.csv'), /^Cannot find .*missing\.csv: there is no such file or folder$/], [join(dir, 'gp.csv'), /gp\.csv is a folder, where a file was wanted$/]] as const) {
      const failure = await readTables(join(FIXTURES, 'roll.csv'), right, mapping).then(() => null, (err: unknown) => err)
      assert.match(fileSystemMessage(failure) ?? String(failure), message)
    }
  })

  it('refuses an empty file, or one with a header and no records, naming it', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'empty.csv'), '')
    writeFileSync(join(dir, 'header.csv'), 'patient_ref,first_name,last_name,date_of_birth,sex,post_code,address\n')
    for (const [args, message] of [
      [['dedupe', join(dir, 'empty.csv')], /empty\.csv is empty: it has no header row and no records/],
      [['link', join(FIXTURES, 'roll.csv'), join(dir, 'header.csv')], /header\.csv has a header row but no records/],
    ] as const) {
      const errors: string[] = []
      const code = await runMatchCommand([...args, '--mapping', join(FIXTURES, 'mapping.json'), '--out', join(dir, 'o')], () => {}, (l) => errors.push(l))
      assert.equal(code, 1)
      assert.match(errors.join('\n'), message)
    }
  })

  it('warns when no date of a column can be read in the mapping\'s format, and when blocking finds no pairs', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'people.csv'), 'id,forename,surname,dob\n1,Amelia,Ashgrove,07/03/2014\n2,Bea,Quillfeather,21/11/2013\n3,Cy,Emberton,\n')
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify({ id: 'id', fields: { forename: 'forename', surname: 'surname', dateOfBirth: 'dob' }, blocking: [['dateOfBirth']] }))
    const errors: string[] = []

    const code = await runMatchCommand(['dedupe', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--out', join(dir, 'o')], () => {}, (l) => errors.push(l))

    assert.equal(code, 0)
    assert.equal(errors.length, 2, errors.join('\n'))
    assert.match(errors[0], /^Warning: no date in column "dob" of .*people\.csv could be read as ISO \(2014-03-07\)/)
    assert.match(errors[0], /They look like DD\/MM\/YYYY \(07\/03\/2014\): set "dateFormat": "DD\/MM\/YYYY"/)
    assert.doesNotMatch(errors[0], /2013|2014-03-07\b.*2014-03-07/, 'no value from the file is shown')
    assert.match(errors[1], /^Warning: the blocking rules found no candidate pairs/)
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
    assert.ok(!existsSync(join(dir, 'pairs.csv')), 'evaluate writes no files without --out')
    assert.ok(figures.breakdown.sexes[0].truePairs > 0 && figures.breakdown.sexes[1].truePairs > 0, 'girls and boys are counted as such')
  })

  it('writes the files link and dedupe write when evaluate is given --out, keeping --json output pure', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'people.csv'), rowsToCsv(generateDedupe({ people: 300, duplicateRate: 0.2, errorRate: 0.1, seed: 2 })))
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify(SYNTH_MAPPING))
    const lines: string[] = []

    const code = await runMatchCommand(['evaluate', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--truth', 'person_id', '--json', '--out', join(dir, 'out'),
      '--min-probability', '0.5'], (l) => lines.push(l), () => {})

    assert.equal(code, 0)
    assert.ok(JSON.parse(lines.join('\n')).truePairs > 0, 'the evaluation, as JSON')
    const pairs = readCsv(join(dir, 'out/pairs.csv'))
    assert.ok(pairs.length > 20 && pairs.every((p) => Number(p.match_probability) >= 0.5), `${pairs.length} pairs at p >= 0.5`)
    assert.ok(existsSync(join(dir, 'out/clusters.csv')) && existsSync(join(dir, 'out/model.json')), 'clusters.csv and model.json')
  })
})

describe('the waterfall in pairs.csv', () => {
  // Each weight is written to 3 decimals: the sum of the columns is within half a thousandth a column of match_weight.
  const checkWaterfall = (path: string, oneToOne: boolean) => {
    const rows = readCsv(path)
    assert.ok(rows.length > 500, `${rows.length} pairs`)
    const columns = Object.keys(rows[0]).filter((k) => k.startsWith('mw_'))
    assert.equal(columns[0], 'mw_prior')
    assert.equal(columns.includes('mw_other_candidates'), oneToOne)
    assert.equal(new Set(rows.map((r) => r.mw_prior)).size, 1, 'the prior is one figure for every pair')
    for (const r of rows) {
      const sum = columns.reduce((a, k) => a + Number(r[k]), 0)
      const weight = Number(r.match_weight)
      assert.ok(Math.abs(sum - weight) <= columns.length * 0.0005 + 1e-9, `${r.left_id}-${r.right_id}: the columns add up to ${sum}, match_weight ${weight}`)
      // match_weight is off by up to 0.0005 bits from rounding, which moves a probability by 0.0001 at most.
      assert.ok(Math.abs(1 / (1 + 2 ** -weight) - Number(r.match_probability)) < 1e-4, `${r.left_id}-${r.right_id}: weight ${weight}, probability ${r.match_probability}`)
    }
    return rows
  }

  it('adds up to match_weight for every pair of a one-to-one link, with the term-frequency, home and other-candidates steps in it', async (t) => {
    const dir = tempDir(t)
    const { left, right } = generateLink({ people: 2000, duplicateRate: 0, errorRate: 0.2, overlap: 0.8, seed: 4 })
    writeFileSync(join(dir, 'left.csv'), rowsToCsv(left))
    writeFileSync(join(dir, 'right.csv'), rowsToCsv(right))
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify({ ...SYNTH_MAPPING, oneToOne: true }))

    const code = await runMatchCommand(['link', join(dir, 'left.csv'), join(dir, 'right.csv'), '--mapping', join(dir, 'mapping.json'), '--out', dir, '--min-probability', '0'], () => {}, () => {})

    assert.equal(code, 0)
    const rows = checkWaterfall(join(dir, 'pairs.csv'), true)
    // An exact surname weighs by how common it is, so the same level has many weights, except at one home, where
    // it weighs the household figure (a little); and the other candidates step is not nothing.
    const exact = rows.filter((r) => r.surname === 'exact')
    const atHome = new Set(exact.filter((r) => r.residence === 'same address').map((r) => Number(r.mw_surname)))
    const elsewhere = new Set(exact.filter((r) => ['sector', 'district', 'area', 'else', 'unknown'].includes(r.residence)).map((r) => Number(r.mw_surname)))
    assert.ok(elsewhere.size > 10 && Math.min(...elsewhere) > 3, `exact surnames away from home: ${[...elsewhere].join(' ')}`)
    assert.ok(atHome.size === 1 && Math.max(...atHome) < 1, `exact surnames at one address: ${[...atHome].join(' ')}`)
    assert.ok(rows.some((r) => Math.abs(Number(r.mw_other_candidates)) > 1), 'a step for the other candidates')
  })

  it('adds up to match_weight for every pair of a dedupe, which has no other-candidates step', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'people.csv'), rowsToCsv(generateDedupe({ people: 2000, duplicateRate: 0.3, errorRate: 0.2, seed: 6 })))
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify(SYNTH_MAPPING))

    const code = await runMatchCommand(['dedupe', join(dir, 'people.csv'), '--mapping', join(dir, 'mapping.json'), '--out', dir, '--min-probability', '0'], () => {}, () => {})

    assert.equal(code, 0)
    checkWaterfall(join(dir, 'pairs.csv'), false)
  })
})

describe('linkage accuracy on generated files, linked one to one as synth --link says', () => {
  // The issue's targets at p >= 0.5. False flags are children of the second file left unlinked who are on the
  // first; the app's runs take only records with a date of birth (evaluate.ts), so the rate is among those.
  for (const [errors, minimumF1] of [['0.1', 0.995], ['0.2', 0.98]] as const) {
    it(`finds the links with F1 of ${minimumF1} or more, and few false flags, at ${Number(errors) * 100}% errors`, async (t) => {
      const dir = tempDir(t)
      assert.equal(await runMatchCommand(['synth', '--people', '5000', '--link', '--errors', errors, '--out', dir], () => {}, () => {}), 0)
      const lines: string[] = []

      const code = await runMatchCommand(['evaluate', join(dir, 'left.csv'), join(dir, 'right.csv'), '--mapping', join(dir, 'mapping.json'), '--truth', 'person_id', '--json'],
        (l) => lines.push(l), () => {})

      assert.equal(code, 0)
      const figures = JSON.parse(lines.join('\n')) as { truePairs: number; blockingRecall: number; thresholds: { threshold: number; f1: number; flaggedWithDob: number; falseFlagRateWithDob: number }[] }
      const atHalf = figures.thresholds.find((x) => x.threshold === 0.5)!
      assert.ok(figures.truePairs > 2000, `${figures.truePairs} true pairs`)
      assert.ok(figures.blockingRecall >= 0.995, `blocking recall ${figures.blockingRecall}`)
      assert.ok(atHalf.f1 >= minimumF1, `F1 ${atHalf.f1}`)
      assert.ok(atHalf.flaggedWithDob > 300 && atHalf.falseFlagRateWithDob < 0.02, `false flags with a date of birth ${atHalf.falseFlagRateWithDob} of ${atHalf.flaggedWithDob}`)
    })
  }
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
    // Each file holds a person once, so evaluate measures the engine linked one to one, as the app links.
    assert.equal(JSON.parse(readFileSync(join(out, 'mapping.json'), 'utf8')).oneToOne, true)
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

  it('writes a dedupe file with a mapping that is not one to one, as the file holds some people twice', async (t) => {
    const out = tempDir(t)
    assert.equal(await runMatchCommand(['synth', '--people', '50', '--out', out], () => {}, () => {}), 0)
    assert.equal(JSON.parse(readFileSync(join(out, 'mapping.json'), 'utf8')).oneToOne, undefined)
  })

  it('refuses bad numbers with a clear message', async () => {
    const errors: string[] = []
    assert.equal(await runMatchCommand(['synth', '--people', '10', '--duplicates', '2', '--out', '/tmp/unused'], () => {}, (l) => errors.push(l)), 1)
    assert.match(errors.join('\n'), /--duplicates must be between 0 and 1/)
  })
})
