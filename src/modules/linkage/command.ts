import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeRule } from './blocking.ts'
import { NULL_LEVEL } from './comparisons.ts'
import { evaluateLinkage, type Evaluation } from './evaluate.ts'
import { loadMapping, MappingError } from './mapping.ts'
import { loadAliasTable } from './nicknames.ts'
import type { Table } from './encode.ts'
import { readTables } from './read.ts'
import { levelWeights } from './score.ts'
import { linkTablesInParallel, type LinkageResult } from './service.ts'
import { generateDedupe, generateLink, rowsToCsv, SYNTH_MAPPING } from './synth.ts'

export const MATCH_HELP = `  lantern match link LEFT.csv RIGHT.csv --mapping MAPPING.json --out DIR [--min-probability P]
  lantern match dedupe FILE.csv --mapping MAPPING.json --out DIR [--min-probability P]
                                     link two files, or find duplicates in one, with a Fellegi-Sunter model
                                     trained without labels; writes DIR/pairs.csv, DIR/clusters.csv, DIR/model.json
  lantern match evaluate LEFT.csv [RIGHT.csv] --mapping MAPPING.json --truth COLUMN [--json]
                                     precision, recall and F1 at a range of thresholds, and blocking recall
  lantern match synth --people N --out DIR [--link] [--duplicates R] [--errors R] [--overlap R] [--seed S]
                                     fictional test files (people.csv, or left.csv and right.csv) with a
                                     person_id truth column and their mapping.json, for trying and evaluating`

export class MatchUsageError extends Error {
  override name = 'MatchUsageError'
}

type Print = (line: string) => void

const csvText = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)
const csvCell = (v: string): string => { const t = csvText(v); return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t }

/** Writes a file line by line in chunks: at a million lines, one string of the whole file was slow to build. */
function lineWriter(path: string) {
  const fd = openSync(path, 'w')
  let lines: string[] = []
  let count = 0
  const flush = () => {
    if (lines.length) writeSync(fd, `${lines.join('\n')}\n`)
    lines = []
  }
  return {
    push(line: string) {
      lines.push(line)
      count++
      if (lines.length === 16_384) flush()
    },
    close(): number {
      flush()
      closeSync(fd)
      return count
    },
  }
}

function writePairs(path: string, result: LinkageResult, left: Table, right: Table, minProbability: number) {
  const comps = result.model.comparisons
  const table = levelWeights(result.model)
  const C = comps.length
  // A level's two cells (its label and its weight) are the same for every pair, and the pairs worth writing
  // share a few thousand combinations of levels: each combination's cells are made once.
  const levelCells = comps.map((c, i) => [`unknown,${table[i][0].toFixed(3)}`, ...c.levels.map((label, g) => `${csvCell(label)},${table[i][g + 1].toFixed(3)}`)])
  const radix = comps.map((c) => c.levels.length + 1)
  const combinable = radix.reduce((a, r) => a * r, 1) < 2 ** 52
  const combinations = new Map<number, string>()
  const cellsFor = (p: number): string => {
    let key = 0
    for (let c = 0; c < C; c++) key = key * radix[c] + gammas[p * C + c] + 1
    let cells = combinable ? combinations.get(key) : undefined
    if (cells === undefined) {
      const parts: string[] = []
      for (let c = 0; c < C; c++) {
        const g = gammas[p * C + c]
        parts.push(levelCells[c][g === NULL_LEVEL ? 0 : g + 1])
      }
      cells = parts.join(',')
      if (combinable) combinations.set(key, cells)
    }
    return cells
  }
  const out = lineWriter(path)
  out.push(['left_id', 'right_id', 'match_probability', 'match_weight', 'is_best_match', ...comps.flatMap((c) => [c.name, `mw_${c.name}`])].join(','))
  const { pairs, probabilities, weights, gammas } = result
  for (let p = 0; p < pairs.length; p++) {
    if (probabilities[p] < minProbability) continue
    out.push(`${csvCell(left.ids[pairs.left[p]])},${csvCell(right.ids[pairs.right[p]])},${probabilities[p].toFixed(6)},${weights[p].toFixed(3)},${result.isEligible[p] ? 'yes' : 'no'},${cellsFor(p)}`)
  }
  return out.close() - 1
}

function writeClusters(path: string, result: LinkageResult, left: Table, right: Table | null) {
  const out = lineWriter(path)
  out.push('source,record_id,cluster_id')
  left.ids.forEach((id, i) => out.push(`left,${csvCell(id)},${result.clusters[i]}`))
  right?.ids.forEach((id, i) => out.push(`right,${csvCell(id)},${result.clusters[left.size + i]}`))
  out.close()
}

function modelJson(result: LinkageResult) {
  const { model } = result
  return {
    lambda: model.lambda,
    comparisons: model.comparisons.map((c, i) => ({ name: c.name, levels: c.levels.map((label, k) => ({ label, m: model.m[i][k], u: model.u[i][k] })) })),
    training: model.sessions,
    blocking: result.blockingRules.map((rule, q) => ({ rule: describeRule(rule), pairs: result.pairs.perRule[q] })),
  }
}

function printEvaluation(print: Print, e: Evaluation) {
  print(`True pairs ${e.truePairs}, found by blocking ${e.blockedTruePairs}: blocking recall ${e.blockingRecall.toFixed(4)}`)
  const link = e.thresholds[0]?.flagged !== undefined
  print(`threshold  precision  recall     F1       TP       FP       FN       ${link ? 'flagged  false flags      with a date of birth: flagged, false' : ''}`.trimEnd())
  for (const t of e.thresholds) {
    const flags = t.flagged === undefined ? '' : `${String(t.flagged).padEnd(9)}${`${t.falseFlags} (${(100 * t.falseFlagRate!).toFixed(2)}%)`.padEnd(17)}` +
      `${String(t.flaggedWithDob).padEnd(9)}${t.falseFlagsWithDob} (${(100 * t.falseFlagRateWithDob!).toFixed(2)}%)`
    print(`${t.threshold.toFixed(3).padEnd(11)}${t.precision.toFixed(4).padEnd(11)}${t.recall.toFixed(4).padEnd(11)}${t.f1.toFixed(4).padEnd(9)}${String(t.truePositives).padEnd(9)}${String(t.falsePositives).padEnd(9)}${String(t.falseNegatives).padEnd(9)}${flags}`)
  }
  const b = e.breakdown
  print(`By age on ${b.on} and by sex, at p >= ${b.threshold}:`)
  print('group          true pairs  recall     flagged  false flags')
  for (const g of [...b.ageBands, ...b.sexes]) {
    if (!g.truePairs && !g.flagged) continue
    const flags = g.flagged === undefined ? '' : `${String(g.flagged).padEnd(9)}${g.falseFlags} (${(100 * g.falseFlagRate!).toFixed(2)}%)`
    print(`${g.group.padEnd(15)}${String(g.truePairs).padEnd(12)}${g.recall.toFixed(4).padEnd(11)}${flags}`)
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** `lantern match …`: returns the exit code; bad arguments and mappings are reported without a stack. */
export async function runMatchCommand(argv: string[], print: Print, printError: Print): Promise<number> {
  try {
    return await matchCommand(argv, print)
  } catch (err) {
    if (err instanceof MatchUsageError || err instanceof MappingError) {
      printError(err.message)
      return 1
    }
    // An option the command does not know, or one given without its value.
    const code = (err as { code?: string }).code
    if (code?.startsWith('ERR_PARSE_ARGS_')) {
      printError(`${(err as Error).message.split('. ')[0]}.\nUsage:\n${MATCH_HELP}`)
      return 1
    }
    throw err
  }
}

const rate = (value: string | undefined, fallback: number, name: string): number => {
  const n = value === undefined ? fallback : Number(value)
  if (!(n >= 0 && n <= 1)) throw new MatchUsageError(`--${name} must be between 0 and 1`)
  return n
}

/** Writes fictional files with a known truth, so a mapping and a model can be tried without real data. */
function synthCommand(rest: string[], print: Print): number {
  const { values } = parseArgs({
    args: rest, strict: true,
    options: { people: { type: 'string' }, out: { type: 'string' }, link: { type: 'boolean' }, duplicates: { type: 'string' }, errors: { type: 'string' },
      overlap: { type: 'string' }, seed: { type: 'string' } },
  })
  const people = Number(values.people)
  if (!Number.isInteger(people) || people < 1 || people > 2_000_000) throw new MatchUsageError('--people must be a whole number from 1 to 2,000,000')
  if (!values.out) throw new MatchUsageError('Give the output folder with --out DIR')
  const seed = values.seed === undefined ? 1 : Number(values.seed)
  if (!Number.isInteger(seed)) throw new MatchUsageError('--seed must be a whole number')
  const opts = { people, duplicateRate: rate(values.duplicates, 0.1, 'duplicates'), errorRate: rate(values.errors, 0.1, 'errors'), seed }
  mkdirSync(values.out, { recursive: true })
  const mappingPath = join(values.out, 'mapping.json')
  writeFileSync(mappingPath, `${JSON.stringify(SYNTH_MAPPING, null, 2)}\n`)
  if (values.link) {
    const { left, right } = generateLink({ ...opts, overlap: rate(values.overlap, 0.5, 'overlap') })
    writeFileSync(join(values.out, 'left.csv'), rowsToCsv(left))
    writeFileSync(join(values.out, 'right.csv'), rowsToCsv(right))
    print(`Wrote ${left.length} and ${right.length} fictional records to ${join(values.out, 'left.csv')} and ${join(values.out, 'right.csv')}, and ${mappingPath}`)
    print(`Try: lantern match evaluate ${join(values.out, 'left.csv')} ${join(values.out, 'right.csv')} --mapping ${mappingPath} --truth person_id`)
  } else {
    const rows = generateDedupe(opts)
    writeFileSync(join(values.out, 'people.csv'), rowsToCsv(rows))
    print(`Wrote ${rows.length} fictional records (${rows.length - people} duplicates) to ${join(values.out, 'people.csv')}, and ${mappingPath}`)
    print(`Try: lantern match evaluate ${join(values.out, 'people.csv')} --mapping ${mappingPath} --truth person_id`)
  }
  return 0
}

async function matchCommand(argv: string[], print: Print): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'synth') return synthCommand(rest, print)
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { mapping: { type: 'string' }, out: { type: 'string' }, truth: { type: 'string' }, json: { type: 'boolean' }, 'min-probability': { type: 'string' } },
  })
  const files = sub === 'dedupe' ? 1 : sub === 'link' ? 2 : sub === 'evaluate' ? positionals.length : 0
  if (!files || positionals.length !== files || files > 2) throw new MatchUsageError(`Usage:\n${MATCH_HELP}`)
  if (!values.mapping) throw new MatchUsageError('Give the mapping file with --mapping MAPPING.json')
  if (sub !== 'evaluate' && !values.out) throw new MatchUsageError('Give the output folder with --out DIR')
  if (sub === 'evaluate' && !values.truth) throw new MatchUsageError('Give the column that identifies each person with --truth COLUMN')
  const minProbability = values['min-probability'] === undefined ? 0.01 : Number(values['min-probability'])
  if (!(minProbability >= 0 && minProbability <= 1)) throw new MatchUsageError('--min-probability must be between 0 and 1')

  const started = performance.now()
  const mapping = loadMapping(values.mapping)
  const aliases = loadAliasTable()
  const { left, right } = await readTables(positionals[0], files === 2 ? positionals[1] : null, mapping, values.truth)
  const loadMs = performance.now() - started
  const result = await linkTablesInParallel(left, right, mapping, aliases)
  const timings: Record<string, number> = { load: loadMs, ...result.timings }

  if (sub === 'evaluate') {
    const evaluation = evaluateLinkage(result, left, right)
    if (values.json) print(JSON.stringify({ ...evaluation, timingsMs: timings }, null, 2))
    else printEvaluation(print, evaluation)
    return 0
  }
  const out = values.out!
  let mark = performance.now()
  mkdirSync(out, { recursive: true })
  const written = writePairs(join(out, 'pairs.csv'), result, left, right ?? left, minProbability)
  writeClusters(join(out, 'clusters.csv'), result, left, right)
  writeFileSync(join(out, 'model.json'), `${JSON.stringify(modelJson(result), null, 2)}\n`)
  timings.write = performance.now() - mark
  mark = performance.now()

  let linked = 0
  for (let p = 0; p < result.pairs.length; p++) if (result.probabilities[p] >= mapping.threshold && result.isEligible[p]) linked++
  // Clusters are numbered 1, 2, 3 and so on.
  let clusterCount = 0
  for (let i = 0; i < result.clusters.length; i++) clusterCount = Math.max(clusterCount, result.clusters[i])
  print(`Records: ${left.size}${right ? ` and ${right.size}` : ''}`)
  print(`Blocking: ${result.pairs.length} candidate pairs`)
  result.blockingRules.forEach((rule, q) => print(`  ${describeRule(rule).padEnd(40)}${result.pairs.perRule[q]}`))
  print(`Prior (lambda): ${result.model.lambda.toExponential(3)}; training sessions: ${result.model.sessions.map((s) => `${s.rule} (${s.pairs} pairs, ${s.iterations} iterations)`).join('; ')}`)
  print(`Pairs at or above ${mapping.threshold}: ${linked}; clusters: ${clusterCount}; pairs written (p >= ${minProbability}): ${written}`)
  print(`Time: ${Object.entries(timings).map(([k, v]) => `${k} ${seconds(v)}`).join(', ')}; total ${seconds(performance.now() - started)}`)
  print(`Peak memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
  print(`Wrote ${join(out, 'pairs.csv')}, ${join(out, 'clusters.csv')} and ${join(out, 'model.json')}`)
  return 0
}
