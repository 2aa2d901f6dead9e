import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { formError, parseForm, toFormErrors, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { pageNumber, pagination } from '../../platform/pagination.ts'
import { formatDate } from '../../platform/views.ts'
import { FIND_CHILDREN, VIEW_FINDINGS } from './policy.ts'
import {
  acceptForm, areaForm, DATE_FORMAT_LABELS, HOME_EDUCATION_LIST, MAX_AREA_POSTCODES, DATE_FORMATS, dismissForm, DISMISS_REASONS, mappingForm, POPULATION_TYPES, ROLL_TYPES, runForm, sourceForm,
} from './forms.ts'
import {
  acceptCandidate, AlreadyDecided, dismissCandidate, getArea, saveArea, dismissReasonLabel, evidenceSummary, getRun, getSource, listRunCandidates, LINK_THRESHOLD, mapSource,
  MAX_SOURCE_BYTES, RUN_JOB, SOURCE_JOB, startRun, suggestMapping, uploadSource, viewCandidate,
} from './service.ts'
import { comparisonLabel, muChart, ruleInWords, waterfallChart, weightChart } from './charts.ts'
import * as q from './queries.ts'

type Upload = { filename: string; data: Buffer }
const CANDIDATE_PAGE = 50
const STATES: q.CandidateState[] = ['open', 'accepted', 'dismissed', 'dismissed_before']
const STATE_LABELS: Record<q.CandidateState, string> = { open: 'To review', accepted: 'Referred', dismissed: 'Dismissed', dismissed_before: 'Dismissed in an earlier run' }

const today = (deps: Deps) => deps.now().toISOString().slice(0, 10)
const tenant = (request: FastifyRequest) => ({ laId: request.user!.laId, userId: request.user!.id })

/** "Who is on no roll": sources, runs, the review queue and the model (issue 4). */
export function noRollRoutes(deps: Deps): FastifyPluginAsync {
  const work = { config: { access: FIND_CHILDREN } }
  const view = { config: { access: VIEW_FINDINGS } }
  return async (app) => {
    // The upload is the only form here that sends a file, so multipart is registered for it alone.
    await app.register(async (upload) => {
      await upload.register(multipart, {
        attachFieldsToBody: 'keyValues',
        limits: { fileSize: MAX_SOURCE_BYTES, files: 1, fields: 10, parts: 11 },
        async onFile(part) { (part as unknown as { value: Upload }).value = { filename: part.filename, data: await part.toBuffer() } },
      })
      upload.post('/find/sources', work, async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>
        const fields = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string'))
        const form = parseForm(sourceForm(today(deps)), withDates(fields, ['dataDate']))
        const file = body.file as Upload | undefined
        const noFile = !file || typeof file !== 'object' || !Buffer.isBuffer(file.data) || (!file.filename && file.data.length === 0)
        const fileProblem = noFile ? 'Select a CSV file or Common Transfer File (XML)' : file.data.length === 0 ? 'The selected file is empty' : undefined
        if (!form.ok || fileProblem) {
          const issues = form.ok ? [] : form.errors.summary.map((s) => ({ path: [s.href.slice(1)], message: s.text }))
          if (fileProblem) issues.push({ path: ['file'], message: fileProblem })
          return sourcePage(request, reply, fields, toFormErrors(issues))
        }
        const result = await uploadSource(deps.db, request.user!, request.ip, form.value, file!, deps.now())
        if (!result.ok) return sourcePage(request, reply, fields, result.errors)
        if (result.needsMapping) return reply.redirect(`/find/sources/${result.id}/mapping`, 303)
        await deps.jobs.send(SOURCE_JOB, { laId: request.user!.laId, sourceId: result.id })
        return reply.redirect(`/find/sources/${result.id}`, 303)
      })
    })

    const sourcePage = (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) =>
      reply.page('no-roll/views/source-new.njk', {
        title: 'Add a source', values, errors, backLink: '/find', maxMegabytes: MAX_SOURCE_BYTES / 1024 / 1024,
        types: [{ value: '', text: 'Choose a type' }, ...[...ROLL_TYPES, ...POPULATION_TYPES].map((t) => ({ value: t, text: t, selected: values.sourceType === t }))],
        rollTypes: ROLL_TYPES, populationTypes: POPULATION_TYPES,
      }, errors ? 400 : 200)

    app.get('/find', view, async (request, reply) => {
      const page = pageNumber((request.query as Record<string, string>).page)
      const data = await withTenant(deps.db, tenant(request), async (tx) => ({ sources: await q.listSources(tx, 25, (page - 1) * 25), runs: await q.listRuns(tx, 10) }))
      return reply.page('no-roll/views/index.njk', {
        title: 'Find children on no roll', sources: data.sources.rows, runs: data.runs, pager: pagination('/find', {}, page, data.sources.total), homeEducationList: HOME_EDUCATION_LIST,
        canWork: FIND_CHILDREN.kind === 'user' && FIND_CHILDREN.allow(request.user!),
      })
    })

    app.get('/find/sources/new', work, async (request, reply) => sourcePage(request, reply, {}))

    const areaPage = async (request: FastifyRequest, reply: FastifyReply, values?: Record<string, unknown>, errors?: FormErrors) => {
      const area = await getArea(deps.db, request.user!)
      return reply.page('no-roll/views/area.njk', {
        title: 'The area Lantern looks for children in', area, errors, backLink: '/find', maxPostcodes: MAX_AREA_POSTCODES,
        values: values ?? { postcodes: area?.postcodes.join('\n') ?? '' }, canWork: FIND_CHILDREN.kind === 'user' && FIND_CHILDREN.allow(request.user!),
        flash: !errors && (request.query as Record<string, string>).saved ? 'The area is saved. Runs from now on use it.' : undefined,
      }, errors ? 400 : 200)
    }
    app.get('/find/area', view, async (request, reply) => areaPage(request, reply))
    app.post('/find/area', work, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(areaForm, body)
      if (!form.ok) return areaPage(request, reply, body, form.errors)
      await saveArea(deps.db, request.user!, request.ip, form.value.postcodes, deps.now())
      return reply.redirect('/find/area?saved=1', 303)
    })

    app.get('/find/sources/:id', view, async (request, reply) => {
      const source = await getSource(deps.db, request.user!, idParam(request))
      return reply.page('no-roll/views/source.njk', { title: `${source.sourceType} from ${source.suppliedBy}`, source, backLink: '/find' })
    })

    // Polled by the source page's script while the file is checked: the state and counts only.
    app.get('/find/sources/:id/progress', view, async (request, reply) => {
      const progress = await withTenant(deps.db, tenant(request), (tx) => q.findSourceProgress(tx, idParam(request)))
      if (!progress) throw new NotFound()
      return reply.send(progress)
    })

    const mappingPage = async (request: FastifyRequest, reply: FastifyReply, source: q.SourceRow, values: Record<string, unknown> | undefined, errors?: FormErrors) => {
      const saved = await withTenant(deps.db, tenant(request), (tx) => q.listMappings(tx))
      const suggested = values ? undefined : suggestMapping(saved, source.sourceType, source.headers)
      const m = suggested?.mapping
      const v = values ?? (m ? { ...m, address1: m.address?.[0], address2: m.address?.[1], saveAs: suggested!.name } : { saveAs: source.sourceType })
      const options = (field: string, optional: boolean) => [
        { value: '', text: optional ? 'Not in this file' : 'Choose a column' },
        ...source.headers.map((h) => ({ value: h, text: h, selected: v[field] === h })),
      ]
      return reply.page('no-roll/views/mapping.njk', {
        title: 'Match the file’s columns', source, values: v, errors, suggested, backLink: `/find/sources/${source.id}`, options,
        dateFormats: DATE_FORMATS.map((f) => ({ value: f, text: DATE_FORMAT_LABELS[f], checked: (v.dateFormat ?? 'DD/MM/YYYY') === f })),
      }, errors ? 400 : 200)
    }

    app.get('/find/sources/:id/mapping', work, async (request, reply) => {
      const source = await getSource(deps.db, request.user!, idParam(request))
      if (source.state !== 'mapping') return reply.redirect(`/find/sources/${source.id}`, 303)
      return mappingPage(request, reply, source, undefined)
    })

    app.post('/find/sources/:id/mapping', work, async (request, reply) => {
      const source = await getSource(deps.db, request.user!, idParam(request))
      if (source.state !== 'mapping') return reply.redirect(`/find/sources/${source.id}`, 303)
      const body = request.body as Record<string, unknown>
      const form = parseForm(mappingForm(source.headers), body)
      if (!form.ok) return mappingPage(request, reply, source, body, form.errors)
      const { saveAs, address1, address2, ...rest } = form.value
      const mapping: q.SourceMapping = { ...rest, address: [address1, address2].filter((a): a is string => Boolean(a)) }
      const moved = await mapSource(deps.db, request.user!, request.ip, source.id, mapping, saveAs, deps.now())
      if (moved) await deps.jobs.send(SOURCE_JOB, { laId: request.user!.laId, sourceId: source.id })
      return reply.redirect(`/find/sources/${source.id}`, 303)
    })

    const runPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const ready = await withTenant(deps.db, tenant(request), (tx) => q.listReadySources(tx))
      const chosen = values.sourceIds === undefined ? ready.map((s) => s.id) : ([] as unknown[]).concat(values.sourceIds)
      const item = (s: q.SourceRow) => ({ value: s.id, text: `${s.sourceType} from ${s.suppliedBy}`, checked: chosen.includes(s.id),
        hint: { text: `Data taken ${formatIso(s.dataDate)}; ${s.recordCount} record${s.recordCount === 1 ? '' : 's'}` } })
      return reply.page('no-roll/views/run-new.njk', {
        title: 'Find children on no roll', values, errors, backLink: '/find', threshold: LINK_THRESHOLD,
        populationItems: ready.filter((s) => s.kind === 'population').map(item), rollItems: ready.filter((s) => s.kind === 'roll').map(item),
      }, errors ? 400 : 200)
    }
    app.get('/find/runs/new', work, async (request, reply) => {
      const [y, m, d] = today(deps).split('-')
      return runPage(request, reply, { 'referenceDate-day': String(Number(d)), 'referenceDate-month': String(Number(m)), 'referenceDate-year': y })
    })
    app.post('/find/runs', work, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const values = { ...body, sourceIds: body.sourceIds ?? [] }
      const form = parseForm(runForm(today(deps)), withDates(body, ['referenceDate']))
      if (!form.ok) return runPage(request, reply, values, form.errors)
      if (!form.value.sourceIds.every(isUuid)) return runPage(request, reply, values, formError('sourceIds', 'Select sources from the list'))
      const result = await startRun(deps.db, request.user!, request.ip, form.value, deps.now())
      if (!result.ok) return runPage(request, reply, values, result.errors)
      await deps.jobs.send(RUN_JOB, { laId: request.user!.laId, runId: result.id })
      return reply.redirect(`/find/runs/${result.id}`, 303)
    })

    app.get('/find/runs/:id', view, async (request, reply) => {
      const query = request.query as Record<string, string>
      const state = STATES.includes(query.state as q.CandidateState) ? (query.state as q.CandidateState) : 'open'
      const page = pageNumber(query.page)
      const id = idParam(request)
      const run = await getRun(deps.db, request.user!, id)
      const list = run.state === 'done' ? await listRunCandidates(deps.db, request.user!, request.ip, id, state, page, CANDIDATE_PAGE, deps.now()) : undefined
      return reply.page('no-roll/views/run.njk', {
        title: `Children on no roll on ${formatDate(run.referenceDate)}`, run, state, list, backLink: '/find',
        tabs: STATES.map((s) => ({ state: s, label: STATE_LABELS[s], count: list?.counts[s] ?? 0, current: s === state })),
        pager: list ? pagination(`/find/runs/${id}`, { state }, page, list.total, CANDIDATE_PAGE) : undefined, reasonLabel: dismissReasonLabel, prob,
      })
    })

    // For run-progress.js: the state and stage only, nothing about any child.
    app.get('/find/runs/:id/progress', view, async (request, reply) => {
      const run = await getRun(deps.db, request.user!, idParam(request))
      return reply.header('cache-control', 'no-store').send({ state: run.state, words: run.progress ? `${run.progress}.` : '' })
    })

    const candidatePage = async (request: FastifyRequest, reply: FastifyReply, form?: 'accept' | 'dismiss', values: Record<string, unknown> = {}, errors?: FormErrors) => {
      const c = await viewCandidate(deps.db, request.user!, request.ip, idParam(request), deps.now())
      return reply.page('no-roll/views/candidate.njk', {
        title: `${c.person.forename ?? ''} ${c.person.surname ?? ''}`.trim() || 'Candidate', c, form, errors, backLink: `/find/runs/${c.runId}`,
        values: form === 'accept' ? values : { concern: evidenceSummary(c), whereaboutsKnown: 'yes' }, dismissValues: form === 'dismiss' ? values : {},
        canWork: FIND_CHILDREN.kind === 'user' && FIND_CHILDREN.allow(request.user!), reasonLabel: dismissReasonLabel,
        reasons: Object.entries(DISMISS_REASONS).map(([value, text]) => ({ value, text, checked: values.reason === value })),
        waterfall: c.nearMiss ? waterfallChart(c.nearMiss.steps) : undefined, comparisonLabel, prob, threshold: LINK_THRESHOLD,
        flash: (request.query as Record<string, string>).decided ? 'Someone else decided about this child while you were looking. Their decision is below.' : undefined,
      }, errors ? 400 : 200)
    }
    app.get('/find/candidates/:id', view, async (request, reply) => candidatePage(request, reply))

    app.post('/find/candidates/:id/accept', work, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(acceptForm, body)
      if (!form.ok) return candidatePage(request, reply, 'accept', body, form.errors)
      try {
        const childId = await acceptCandidate(deps.db, request.user!, request.ip, idParam(request), form.value, deps.now())
        return reply.redirect(`/children/${childId}`, 303)
      } catch (err) {
        if (err instanceof AlreadyDecided) return reply.redirect(`/find/candidates/${idParam(request)}?decided=1`, 303)
        throw err
      }
    })

    app.post('/find/candidates/:id/dismiss', work, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(dismissForm, body)
      if (!form.ok) return candidatePage(request, reply, 'dismiss', body, form.errors)
      try {
        const runId = await dismissCandidate(deps.db, request.user!, request.ip, idParam(request), form.value, deps.now())
        return reply.redirect(`/find/runs/${runId}`, 303)
      } catch (err) {
        if (err instanceof AlreadyDecided) return reply.redirect(`/find/candidates/${idParam(request)}?decided=1`, 303)
        throw err
      }
    })

    const modelPage = (reply: FastifyReply, shown: q.ModelRow | undefined, isLatest: boolean) => reply.page('no-roll/views/model.njk', {
      title: isLatest ? 'The linkage model' : `The linkage model of the run for ${formatDate(shown!.referenceDate)}`, latest: shown, isLatest,
      backLink: isLatest ? '/find' : `/find/runs/${shown!.id}`, threshold: LINK_THRESHOLD, comparisonLabel, ruleInWords,
      charts: shown?.model.comparisons.map((c) => ({ weights: weightChart(c), mu: muChart(c) })) ?? [],
    })
    app.get('/find/model', view, async (request, reply) => modelPage(reply, await withTenant(deps.db, tenant(request), (tx) => q.latestModel(tx)), true))
    app.get('/find/runs/:id/model', view, async (request, reply) => {
      const id = idParam(request)
      const shown = await withTenant(deps.db, tenant(request), (tx) => q.runModel(tx, id))
      if (!shown) throw new NotFound()
      return modelPage(reply, shown, false)
    })
  }
}

function idParam(request: FastifyRequest): string {
  const { id } = request.params as { id: string }
  if (!isUuid(id)) throw new NotFound()
  return id
}

const formatIso = (iso: string) => iso.split('-').reverse().join('/')
const prob = (p: number) => p.toFixed(2)
