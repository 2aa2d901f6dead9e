import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeRule } from './blocking.ts'
import { NULL_LEVEL } from './comparisons.ts'
import { evaluateLinkage, type Evaluation } from './evaluate.ts'
import { loadMapping, MappingError } from './mapping.ts'
import { loadAliasTable } from './nicknames.ts'
import type { Table } from './encode.ts'
import { readTables } from './read.ts'
import { levelWeights, priorWeight, tfAdjustmentOf } from './score.ts'
import { householdWeight } from './model.ts'
import { linkTablesInParallel, type LinkageResult } from './service.ts'
import { generateDedupe, generateLink, rowsToCsv, SYNTH_MAPPING } from './synth.ts'

export const MATCH_HELP = `  lantern match link LEFT.csv RIGHT.csv --mapping MAPPING.json --out DIR [--min-probability P]
  lantern match dedupe FILE.csv --mapping MAPPING.json --out DIR [--min-probability P]
                                     link two files, or find duplicates in one, with a Fellegi-Sunter model
                                     trained without labels; writes DIR/pairs.csv, DIR/clusters.csv, DIR/model.json
  lantern match evaluate LEFT.csv [RIGHT.csv] --mapping MAPPING.json --truth COLUMN [--json] [--out DIR [--min-probability P]]
                                     precision, recall and F1 at a range of thresholds, and blocking recall
                                     (with --out, also the files link and dedupe write)
  lantern match synth --people N --out DIR [--link] [--duplicates R] [--errors R] [--overlap R] [--seed S]
                                     fictional test files (people.csv, or left.csv and right.csv) with a
                                     person_id truth column and their mapping.json, for trying and evaluating`

export class MatchUsageError extends Error {
  override name = 'MatchUsageError'
}

type Print = (line: string) => void

const csvText = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)
const csvQuoted = (v: string): string => { const t = csvText(v); return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t }
// One test for the plain case (almost every cell), where two regular expressions ran for every id written.
const csvCell = (v: string): string => (/^[=+\-@\t\r]|[",\r\n]/.test(v) ? csvQuoted(v) : v)
// Most pairs written are sure links: their probability's text is known without toFixed (0.9999996 and up is 1.000000).
const probabilityText = (p: number): string => (p > 0.9999996 ? '1.000000' : p.toFixed(6))

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

/**
 * A combination of levels (and whether the pair is the best match) as text: `head` is the cells from
 * is_best_match to the first cell that differs from pair to pair, then each of `vary` (a comparison at an exact
 * name, whose weight has the name's term-frequency adjustment in it) is followed by `texts[k]` ('' when the
 * next cell differs too, and the name's cell then carries the comma: each piece of a line costs time to join).
 */
type Cells = { head: string; vary: number[]; comma: boolean[]; texts: string[] }

/**
 * pairs.csv: each pair's levels and the weights they add, the waterfall. mw_prior, each mw_<comparison> (with
 * its term-frequency adjustment or its weight at one home, whichever the score used) and, one to one,
 * mw_other_candidates add up to match_weight, and match_probability is 1 / (1 + 2^-match_weight).
 */
function writePairs(path: string, result: LinkageResult, left: Table, right: Table, minProbability: number) {
  const { model, otherCandidates } = result
  const comps = model.comparisons
  const table = levelWeights(model)
  const C = comps.length
  const prior = priorWeight(model).toFixed(3)
  // A level's two cells (its label and its weight) are the same for every pair, and the pairs worth writing
  // share a few thousand combinations of levels: each combination's cells are made once.
  const levelCells = comps.map((c, i) => [`unknown,${table[i][0].toFixed(3)}`, ...c.levels.map((label, g) => `${csvCell(label)},${table[i][g + 1].toFixed(3)}`)])
  const exactLabel = comps.map((c) => csvCell(c.levels[0]))
  // An exact name weighs by the name (its frequency): those cells are made once per name instead, when first
  // needed, with and without a comma after. Names are the left record's value ids: exact is the same id on both sides.
  const names = comps.map((c, i) => (c.tf && model.tf[i] ? c.tf(left) : null))
  const nameSlot = names.map((column) => (column ? new Int32Array(left.dicts.names.values.length).fill(-1) : null))
  const nameTexts = comps.map((): string[] => [])
  const addName = (c: number, id: number): number => {
    const cell = `${exactLabel[c]},${(table[c][1] + tfAdjustmentOf(model, c, left.dicts.names.values[id])).toFixed(3)}`
    nameTexts[c].push(cell, `${cell},`)
    return (nameSlot[c]![id] = nameTexts[c].length - 2)
  }
  const household = model.household
  const radix = comps.map((c) => c.levels.length + 1)
  const combinable = radix.reduce((a, r) => a * r, 2) < 2 ** 52
  const combinations = new Map<number, Cells>()
  const cellsFor = (p: number): Cells => {
    let key = isEligible[p]
    for (let c = 0; c < C; c++) key = key * radix[c] + gammas[p * C + c] + 1
    let cells = combinable ? combinations.get(key) : undefined
    if (cells === undefined) {
      // Each text is joined from a list, so that it is one flat string: one built up with += is a tree of the
      // pieces, and every line that used it walked the tree again when the lines were joined (twice the time).
      const texts: string[] = []
      const vary: number[] = []
      let text = [isEligible[p] ? ',yes,' : ',no,', prior]
      for (let c = 0; c < C; c++) {
        const g = gammas[p * C + c]
        text.push(',')
        // As `pairScorer` scores: an exact surname between records of one home weighs the household figure
        // (the residence level is part of the combination), any other exact name by its frequency.
        const atHome = g === 0 && household?.surname === c ? householdWeight(model, gammas[p * C + household.residence]) : null
        if (atHome !== null) text.push(exactLabel[c], ',', atHome.toFixed(3))
        else if (g === 0 && names[c]) {
          texts.push(text.join(''))
          vary.push(c)
          text = []
        } else text.push(levelCells[c][g === NULL_LEVEL ? 0 : g + 1])
      }
      texts.push(text.join(''))
      const comma = vary.map((_, k) => texts[k + 1] === ',')
      cells = { head: texts[0], vary, comma, texts: texts.slice(1).map((t) => (t === ',' ? '' : t)) }
      if (combinable) combinations.set(key, cells)
    }
    return cells
  }
  // A step's text by its value, in a small table: a record whose only candidate is this pair has the same step as
  // any other such record, so most pairs share a few hundred values.
  const stepValues = new Float64Array(4096).fill(NaN)
  const stepTexts = new Array<string>(4096).fill('')
  const probe = new Float64Array(1)
  const probeBits = new Int32Array(probe.buffer)
  const stepText = (x: number): string => {
    probe[0] = x
    const slot = (probeBits[0] ^ probeBits[1] ^ (probeBits[1] >>> 12)) & 4095
    if (stepValues[slot] !== x) {
      stepValues[slot] = x
      stepTexts[slot] = `,${x.toFixed(3)}`
    }
    return stepTexts[slot]
  }
  const out = lineWriter(path)
  out.push(['left_id', 'right_id', 'match_probability', 'match_weight', 'is_best_match', 'mw_prior', ...comps.flatMap((c) => [c.name, `mw_${c.name}`]),
    ...(otherCandidates ? ['mw_other_candidates'] : [])].join(','))
  const { pairs, probabilities, weights, gammas, isEligible } = result
  for (let p = 0; p < pairs.length; p++) {
    if (probabilities[p] < minProbability) continue
    const cells = cellsFor(p)
    const vary = cells.vary
    const l = pairs.left[p]
    // One to one, the probability weighs the records' other candidates too: that step takes the pair's own
    // weight to the weight of the probability written, so match_weight is that weight (as the app's charts).
    const other = otherCandidates ? otherCandidates(p) : 0
    let line = `${csvCell(left.ids[l])},${csvCell(right.ids[pairs.right[p]])},${probabilityText(probabilities[p])},${(weights[p] + other).toFixed(3)}${cells.head}`
    for (let k = 0; k < vary.length; k++) {
      const c = vary[k]
      const id = names[c]![l]
      let at = nameSlot[c]![id]
      if (at < 0) at = addName(c, id)
      line += nameTexts[c][cells.comma[k] ? at + 1 : at]
      if (cells.texts[k]) line += cells.texts[k]
    }
    if (otherCandidates) line += stepText(other)
    out.push(line)
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

/** pairs.csv, clusters.csv and model.json in `out` (already made); returns the pairs written. */
function writeResults(out: string, result: LinkageResult, left: Table, right: Table | null, minProbability: number): number {
  const written = writePairs(join(out, 'pairs.csv'), result, left, right ?? left, minProbability)
  writeClusters(join(out, 'clusters.csv'), result, left, right)
  writeFileSync(join(out, 'model.json'), `${JSON.stringify(modelJson(result), null, 2)}\n`)
  return written
}

/**
 * A file-system error as one line naming the path (a missing file, a folder where a file was wanted, no
 * permission, a full disk), or null for any other error. Node's own message has its code and system call.
 */
export function fileSystemMessage(err: unknown): string | null {
  const { code, path, syscall } = (err ?? {}) as NodeJS.ErrnoException
  if (typeof code !== 'string' || !syscall) return null
  const where = path ?? 'a file'
  switch (code) {
    case 'ENOENT': return `Cannot find ${where}: there is no such file or folder`
    case 'EISDIR': return `${where} is a folder, where a file was wanted`
    case 'ENOTDIR': return `Cannot use ${where}: part of that path is a file, where a folder was wanted`
    case 'EEXIST': return `${where} already exists, and is not a folder`
    case 'EACCES': case 'EPERM': return `No permission to ${syscall === 'open' || syscall === 'read' ? 'open' : 'write to'} ${where}`
    case 'ENOSPC': return `The disk is full: could not write ${where}`
    default: return `Could not ${syscall} ${where} (${code})`
  }
}

/** `lantern match …`: returns the exit code; bad arguments, mappings and files are reported without a stack. */
export async function runMatchCommand(argv: string[], print: Print, printError: Print): Promise<number> {
  try {
    return await matchCommand(argv, print, printError)
  } catch (err) {
    if (err instanceof MatchUsageError || err instanceof MappingError) {
      printError(err.message)
      return 1
    }
    const fs = fileSystemMessage(err)
    if (fs) {
      printError(fs)
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

/** An input must be a plain file: checked before any work starts, so a mistyped name fails at once. */
function checkInputFile(path: string, what: string) {
  let stats
  try {
    stats = statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MatchUsageError(`Cannot find the ${what} ${path}`)
    throw err
  }
  if (stats.isDirectory()) throw new MatchUsageError(`${path} is a folder: give the ${what} itself`)
  if (!stats.isFile()) throw new MatchUsageError(`${path} is not a plain file, as the ${what} must be`)
}

/** The output folder, made (or checked to be a folder we may write to) before any work, not after it all. */
function prepareOutFolder(out: string) {
  try {
    mkdirSync(out, { recursive: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MatchUsageError(`--out ${out} is a file: give a folder for the results`)
    throw err
  }
  accessSync(out, constants.W_OK)
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
  prepareOutFolder(values.out)
  const mappingPath = join(values.out, 'mapping.json')
  // Each file of a link holds a person at most once (`generateLink`), as a roll and a GP list do: linked one to
  // one, as the app links them. A file to deduplicate holds some people twice, so not there.
  writeFileSync(mappingPath, `${JSON.stringify(values.link ? { ...SYNTH_MAPPING, oneToOne: true } : SYNTH_MAPPING, null, 2)}\n`)
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

async function matchCommand(argv: string[], print: Print, warn: Print): Promise<number> {
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
  // Every file and the output folder are checked before any work: reading and linking a million records
  // only to find the output folder is a file was the old way.
  checkInputFile(values.mapping, 'mapping file')
  for (const file of positionals) checkInputFile(file, 'CSV file')
  if (values.out) prepareOutFolder(values.out)

  const started = performance.now()
  const mapping = loadMapping(values.mapping)
  const aliases = loadAliasTable()
  const { left, right, warnings } = await readTables(positionals[0], files === 2 ? positionals[1] : null, mapping, values.truth)
  for (const w of warnings) warn(w)
  const loadMs = performance.now() - started
  const result = await linkTablesInParallel(left, right, mapping, aliases)
  const timings: Record<string, number> = { load: loadMs, ...result.timings }
  if (!result.pairs.length) {
    warn('Warning: the blocking rules found no candidate pairs, so nothing was compared or linked. Check that the mapping names the right columns ' +
      'and that both files hold the same kind of values in them (the same date format, say), or give broader "blocking" rules.')
  }

  if (sub === 'evaluate') {
    const evaluation = evaluateLinkage(result, left, right)
    if (values.json) print(JSON.stringify({ ...evaluation, timingsMs: timings }, null, 2))
    else printEvaluation(print, evaluation)
    if (!values.out) return 0
    // With --out, evaluate writes what link and dedupe write, so the pairs it scored can be looked at.
    writeResults(values.out, result, left, right, minProbability)
    if (!values.json) print(`Wrote ${join(values.out, 'pairs.csv')}, ${join(values.out, 'clusters.csv')} and ${join(values.out, 'model.json')}`)
    return 0
  }
  const out = values.out!
  let mark = performance.now()
  const written = writeResults(out, result, left, right, minProbability)
  timings.write = performance.now() - mark
  mark = performance.now()

  let linked = 0
  for (let p = 0; p < result.pairs.length; p++) if (result.probabilities[p] >= mapping.threshold && result.isEligible[p]) linked++
  // Clusters are numbered 1, 2, 3 and so on.
  let clusterCount = 0
  for (let i = 0; i < result.clusters.length; i++) clusterCount = Math.max(clusterCount, result.clusters[i])
  print(`Records: ${left.size}${right ? ` and ${right.size}` : ''}`)
  print(`Blocking: ${result.pairs.length} candidate pairs`)
  const width = Math.max(40, ...result.blockingRules.map((rule) => describeRule(rule).length + 2))
  result.blockingRules.forEach((rule, q) => print(`  ${describeRule(rule).padEnd(width)}${result.pairs.perRule[q]}`))
  print(`Prior (lambda): ${result.model.lambda.toExponential(3)}; training sessions: ${result.model.sessions.map((s) => `${s.rule} (${s.pairs} pairs, ${s.iterations} iterations)`).join('; ')}`)
  print(`Pairs at or above ${mapping.threshold}: ${linked}; clusters: ${clusterCount}; pairs written (p >= ${minProbability}): ${written}`)
  // Training runs in a worker thread while this one indexes the blocking rules: its time is not part of the total's sum.
  print(`Time: ${Object.entries(timings).map(([k, v]) => `${k} ${seconds(v)}${k === 'train' ? ' (beside blocking)' : ''}`).join(', ')}; total ${seconds(performance.now() - started)}`)
  print(`Peak memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
  print(`Wrote ${join(out, 'pairs.csv')}, ${join(out, 'clusters.csv')} and ${join(out, 'model.json')}`)
  return 0
}
