import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/test-app.ts'
import { fillDate, signedInPage, startJourney, visit, type Journey } from '../helpers/browser.ts'
import { generateLink } from '../../src/modules/linkage/synth.ts'

// Generated, fictional children: a census roll and a GP list of the same town, some of whom are on no roll.
const { left, right } = generateLink({ people: 300, duplicateRate: 0, errorRate: 0.05, seed: 5, overlap: 0.85 })
const census = ['UPN,Forename,Surname,DOB,Sex,Postcode', ...left.map((r) => [r.id, r.forename, r.surname, r.date_of_birth.split('-').reverse().join('/'), r.sex, r.postcode].join(','))].join('\n')
const gp = ['Patient ref,Given name,Family name,Birth date,Gender,Address,Postcode,NHS number',
  ...right.filter((r) => r.date_of_birth).map((r) => [r.id, r.forename, r.surname, r.date_of_birth, r.sex, r.address, r.postcode, r.nhs_number].join(','))].join('\n')

describe('finding journey: an officer uploads a roll and a GP list, runs the linkage, and refers a child on no roll', () => {
  let j: Journey
  let t: TestApp
  let browser: Browser
  let base: string

  before(async () => {
    j = await startJourney(async (app) => { app.clock.now = new Date('2026-11-25T10:00:00Z') })
    ;({ t, browser, base } = j)
  })
  after(async () => { await j?.close() })


  async function addSource(page: Page, type: string, name: string, content: string, columns: Record<string, string>, dateFormat: string) {
    await page.getByTestId('add-source').click()
    await visit(page, 'Add a source', `add a source (${type})`)
    await page.getByLabel('Type of source').selectOption(type)
    await fillDate(page, 'dataDate', '2026-10-01')
    await page.getByLabel('Who supplied it').fill('Northmoor test team')
    await page.getByLabel('File').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) })
    await page.getByTestId('upload-source').click()
    await visit(page, 'Match the file’s columns', `column mapping (${type})`)
    for (const [label, column] of Object.entries(columns)) await page.getByLabel(label, { exact: true }).selectOption(column)
    await page.getByLabel(dateFormat).check()
    await page.getByTestId('save-mapping').click()
    await visit(page, `${type} from Northmoor test team`, `source checked (${type})`)
    assert.match(await page.getByTestId('ready').textContent() ?? '', /records? ready to use in a run/)
    await page.getByRole('link', { name: 'Back' }).click()
  }

  it('works end to end with no accessibility violations', async () => {
    const { page } = await signedInPage(browser, base, (await t.signedIn(['cme_officer'])).agent.cookies.lantern_session)
    await page.goto(`${base}/`)
    await page.getByRole('link', { name: 'Find children', exact: true }).click()
    await visit(page, 'Find children on no roll', 'find children, empty')

    await addSource(page, 'School census', 'census.csv', census, { 'Id of each row': 'UPN', 'First name': 'Forename', 'Last name': 'Surname', 'Date of birth': 'DOB', Sex: 'Sex', Postcode: 'Postcode' }, 'Day, month, year (27/03/2014)')
    await addSource(page, 'GP registrations', 'gp.csv', gp, { 'Id of each row': 'Patient ref', 'First name': 'Given name', 'Last name': 'Family name', 'Date of birth': 'Birth date', Sex: 'Gender', Address: 'Address', Postcode: 'Postcode', 'NHS number': 'NHS number' }, 'Year-month-day (2014-03-27)')
    await visit(page, 'Find children on no roll', 'find children with sources')

    await page.getByTestId('new-run').click()
    await visit(page, 'Find children on no roll', 'new run form')
    await page.getByTestId('start-run').click()
    await page.waitForLoadState('load')
    const heading = (await page.locator('h1').textContent())?.trim() ?? ''
    assert.match(heading, /^Children on no roll on 25 November 2026$/)
    await visit(page, heading, 'review queue')
    const rows = await page.getByTestId('candidates').locator('tbody tr').count()
    assert.ok(rows > 5, `${rows} children to review`)

    const runUrl = page.url()
    await page.getByTestId('candidates').locator('tbody a').first().click()
    const name = (await page.locator('h1').textContent())?.trim() ?? ''
    await visit(page, name, 'candidate')
    assert.match(await page.getByTestId('evidence').textContent() ?? '', /GP registrations/)
    await page.getByTestId('accept').click()
    await visit(page, name, 'child record after referral')
    assert.match(await page.locator('main').textContent() ?? '', /Found by the linkage run for 25\/11\/2026/)

    // Another child is dismissed with a reason; the list moves them to "Dismissed".
    await page.goto(runUrl)
    await page.getByTestId('candidates').locator('tbody a').first().click()
    const other = (await page.locator('h1').textContent())?.trim() ?? ''
    await page.getByTestId('dismiss').click()
    await visit(page, other, 'dismiss without a reason')
    assert.match(await page.locator('.govuk-error-summary').textContent() ?? '', /Select why this child does not need a referral/)
    await page.getByLabel('Has moved away from the area').check()
    await page.getByTestId('dismiss').click()
    await visit(page, heading, 'review queue after a dismissal')
    await page.getByRole('link', { name: /^Dismissed \(1\)$/ }).click()
    await visit(page, heading, 'dismissed children')
    assert.match(await page.getByTestId('candidates').textContent() ?? '', new RegExp(`${other}[\\s\\S]*Has moved away from the area`))

    await page.getByRole('link', { name: 'How this run scored its matches' }).click()
    await visit(page, 'The linkage model of the run for 25 November 2026', 'the run’s model page')
    assert.match(await page.getByTestId('accuracy').textContent() ?? '', /NHS number or UPN/)
    await page.goto(`${base}/find/model`)
    await visit(page, 'The linkage model', 'model page')

    await page.goto(`${base}/find`)
    await page.getByTestId('area-link').click()
    await visit(page, 'The area Lantern looks for children in', 'area page')
    await page.getByLabel('Postcode districts and sectors in the area').fill('ZZ1, not a district')
    await page.getByTestId('save-area').click()
    await visit(page, 'The area Lantern looks for children in', 'area page with a mistake')
    assert.match(await page.locator('.govuk-error-summary').textContent() ?? '', /This is not a postcode district or sector: “NOT A DISTRICT”/)
    await page.getByLabel('Postcode districts and sectors in the area').fill('ZZ1\nZZ2 3')
    await page.getByTestId('save-area').click()
    await visit(page, 'The area Lantern looks for children in', 'area page saved')
    assert.match(await page.getByTestId('area-now').textContent() ?? '', /The area is 2 postcode districts or sectors/)
  })
})
