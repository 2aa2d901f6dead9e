import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { testApp, type TestApp } from '../helpers/test-app.ts'
import { launchBrowser, signedInPage, visit } from '../helpers/browser.ts'
import type { Role } from '../../src/platform/access.ts'

describe('referral journey: a school refers a child, the CME officer finds them on the register', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    for (const fn of cleanups) await fn()
  })

  // Sign-in itself is covered by the platform journey; here each person starts signed in.
  const as = async (roles: Role[]) => signedInPage(browser, base, (await t.signedIn(roles)).agent.cookies.lantern_session)

  it('works end to end with no accessibility violations', async () => {
    const { page: school } = await as(['school_user'])
    await school.goto(`${base}/`)
    await school.getByRole('link', { name: 'Refer a child' }).click()
    await visit(school, 'Refer a child who may be missing education', 'referral form')
    await school.getByTestId('send-referral').click()
    await visit(school, 'Refer a child who may be missing education', 'referral form with errors')
    await school.getByLabel('First name').fill('Rowan')
    await school.getByLabel('Last name').fill('Madeup')
    await school.getByLabel('Day').first().fill('2')
    await school.getByLabel('Month').first().fill('6')
    await school.getByLabel('Year').first().fill('2014')
    await school.getByLabel('Not known').check()
    await school.getByLabel('Address line 1').fill('9 Nowhere Lane')
    await school.getByLabel('Postcode').fill('ne1 4st')
    await school.getByLabel('Why do you think the child is not receiving an education?').fill('Stopped attending in October; the family have not answered calls or letters.')
    await school.getByLabel('No', { exact: true }).check()
    await school.getByTestId('send-referral').click()
    await visit(school, 'Your referrals', 'your referrals')
    assert.match(await school.getByTestId('my-referrals').textContent() ?? '', /Rowan Madeup/)

    const { page: officer } = await as(['cme_officer'])
    await officer.goto(`${base}/`)
    await officer.getByRole('link', { name: 'Register', exact: true }).click()
    await visit(officer, 'Register', 'register')
    await officer.getByLabel('Name, UPN or NHS number').fill('Rowen Madeup')
    await officer.getByRole('button', { name: 'Filter' }).click()
    await visit(officer, 'Register', 'register filtered')
    await officer.getByRole('link', { name: 'Rowan Madeup' }).click()
    await visit(officer, 'Rowan Madeup', 'child page')
    assert.match(await officer.getByTestId('case').textContent() ?? '', /Whereabouts unknown/)
    assert.match(await officer.getByTestId('chronology').textContent() ?? '', /Referred as possibly missing education/)

    await officer.getByRole('link', { name: 'Made a home visit' }).click()
    await visit(officer, 'Made a home visit', 'enquiry form')
    await officer.getByLabel('Yes, it was made').check()
    await officer.getByLabel('Day').fill('27')
    await officer.getByLabel('Month').fill('11')
    await officer.getByLabel('Year').fill('2026')
    await officer.getByLabel('What did it find?').fill('No answer; a neighbour says the family moved out in October.')
    await officer.getByTestId('save-enquiry').click()
    await visit(officer, 'Rowan Madeup', 'child page after an enquiry')
    assert.match(await officer.getByTestId('chronology').textContent() ?? '', /Enquiry done: Made a home visit/)

    await officer.getByRole('link', { name: 'Change status of this case' }).click()
    await visit(officer, 'Change the case status', 'status form')
    await officer.getByLabel('Left the LA').check()
    await officer.getByLabel('Note').fill('Believed to have moved to another area.')
    await officer.getByTestId('save-status').click()
    await visit(officer, 'Change the case status', 'closure refused by the enquiries gate')
    assert.match(await officer.locator('.govuk-error-summary').textContent() ?? '', /You cannot close the case until these required enquiries are done/)
  })
})
