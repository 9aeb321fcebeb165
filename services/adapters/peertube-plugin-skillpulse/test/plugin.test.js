'use strict'

// The plugin in a stand-in of PeerTube's plugin API. The tests marked "collector" send to
// a real running Skilltech Pulse collector: SKILLPULSE_COLLECTOR_URL and
// SKILLPULSE_PLATFORM_KEY (skilltech.tube's key) say where; each writes what it sent to
// SKILLPULSE_SENT_DIR/<test>.json, and tests/adapters/test_peertube_plugin.py checks the
// store holds exactly that, once each. Without them those tests are skipped.

const assert = require('node:assert/strict')
const { readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { test } = require('node:test')

const { createPlugin, loginMethod, eventsUrl, SETTINGS } = require('../main.js')
const { startProxy } = require('./collector-proxy.js')
const { standIn, tokenGrant, videoView } = require('./peertube-standin.js')

const COLLECTOR_URL = process.env.SKILLPULSE_COLLECTOR_URL
const PLATFORM_KEY = process.env.SKILLPULSE_PLATFORM_KEY
const SENT_DIR = process.env.SKILLPULSE_SENT_DIR
const collector = { skip: !(COLLECTOR_URL && PLATFORM_KEY && SENT_DIR) && 'no running collector given' }

const USERS = [{ id: 7, username: 'alice' }, { id: 12, username: 'bob' }, { id: 31, username: 'carol' }]
const LECTURE = { id: 1, uuid: '9c9de5e8-0a1b-4a4c-9f2e-3f1b2c3d4e5f', name: 'Lecture 1' }
const WORKSHOP = { id: 2, uuid: '0f0e7c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6', name: 'Workshop' }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const FAST = { flushIntervalMs: 50, initialBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 5000, closeTimeoutMs: 1000 }

async function waitFor (condition, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

// The plugin registered in a stand-in; unregistered when the test ends, passed or not.
async function registered (t, settings, senderOptions) {
  const peertube = standIn({ settings, users: USERS })
  const plugin = createPlugin({ ...FAST, ...senderOptions })
  await plugin.register(peertube.options)
  t.after(() => plugin.unregister())
  return { peertube, plugin }
}

async function proxied (t, options) {
  const proxy = await startProxy(options)
  t.after(() => proxy.close())
  return proxy
}

function sentEvents (proxy) {
  return proxy.requests.flatMap(request => request.events)
}

function recordSent (name, events) {
  writeFileSync(join(SENT_DIR, `${name}.json`), JSON.stringify(events))
}

test('package.json passes the checks PeerTube runs before installing a plugin', () => {
  // server/core/helpers/custom-validators/plugins.ts: isPackageJSONValid, isLibraryCodeValid
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))
  assert.match(pkg.name, /^peertube-plugin-[a-z\-._0-9]+$/)
  assert.ok(pkg.description && pkg.description.length <= 250)
  assert.match(pkg.engine.peertube, /^>=\d+\.\d+\.\d+$/)
  for (const field of ['homepage', 'author', 'bugs']) assert.ok(field in pkg, field)
  assert.equal(pkg.library, './main.js')
  assert.deepEqual([pkg.staticDirs, pkg.css, pkg.clientScripts, pkg.translations], [{}, [], [], {}])
  const library = require(join(__dirname, '..', pkg.library))
  assert.equal(typeof library.register, 'function')
  assert.equal(typeof library.unregister, 'function')
  assert.deepEqual(Object.keys(pkg.dependencies || {}), []) // nothing to install on the PeerTube server
})

test('registers private settings and the two hooks', async (t) => {
  const { peertube, plugin } = await registered(t, {})
  assert.deepEqual(peertube.registeredSettings.map(s => [s.name, s.type, s.private]), [
    [SETTINGS.collectorUrl, 'input', true], [SETTINGS.apiKey, 'input-password', true], [SETTINGS.toolId, 'input', true]])
  assert.deepEqual([...peertube.hooks.keys()], ['action:api.video.viewed', 'action:api.user.oauth2-got-token'])
})

test('a refresh-token grant is no login; password and external-auth grants are', () => {
  assert.equal(loginMethod(tokenGrant({ username: 'alice', grantType: 'password' }).req), 'password')
  assert.equal(loginMethod(tokenGrant({ username: 'bob', grantType: 'password', externalAuthToken: 't' }).req), 'sso')
  assert.equal(loginMethod(tokenGrant({ username: 'alice', grantType: 'refresh_token' }).req), null)
  assert.equal(loginMethod(tokenGrant({ username: 'alice' }).req), 'other') // e-mail login: no grant type
  assert.equal(loginMethod(undefined), null) // a PeerTube that does not pass the request: cannot tell
  assert.equal(eventsUrl('https://pulse.example.org/'), 'https://pulse.example.org/v1/events')
  assert.equal(eventsUrl('https://pulse.example.org/v1/events'), 'https://pulse.example.org/v1/events')
})

test('a hook returns at once, even when the collector does not answer', async (t) => {
  const proxy = await proxied(t, { collectorUrl: 'http://127.0.0.1:9', script: ['hang', 'hang', 'hang'] })
  const { peertube, plugin } = await registered(t, 
    { [SETTINGS.collectorUrl]: proxy.url, [SETTINGS.apiKey]: 'k' }, { batchSize: 1, requestTimeoutMs: 300 })
  const started = process.hrtime.bigint()
  const returned = peertube.runAction('action:api.user.oauth2-got-token', tokenGrant({ username: 'alice', grantType: 'password' }))
  const tookMs = Number(process.hrtime.bigint() - started) / 1e6
  assert.deepEqual(returned, [undefined]) // no promise for PeerTube to wait on
  assert.ok(tookMs < 20, `the hook took ${tookMs} ms`)
  await waitFor(() => proxy.requests.length >= 1, 'the POST to start')
  assert.equal(plugin.sender.pending, 1) // still queued: not answered, so not dropped
})

test('logins and views reach the collector in batches; refreshes and anonymous views do not', collector, async (t) => {
  const proxy = await proxied(t, { collectorUrl: COLLECTOR_URL })
  const { peertube, plugin } = await registered(t, 
    { [SETTINGS.collectorUrl]: proxy.url, [SETTINGS.apiKey]: PLATFORM_KEY }, { batchSize: 2 })
  const grants = [
    { username: 'alice', grantType: 'password' },
    { username: 'alice', grantType: 'refresh_token' },
    { username: 'bob', grantType: 'password', externalAuthToken: 'from-openid-connect' },
    { username: 'carol', grantType: 'refresh_token' },
    { username: 'mallory', grantType: 'password' } // not in PeerTube's user table
  ]
  for (const grant of grants) peertube.runAction('action:api.user.oauth2-got-token', tokenGrant(grant))
  for (const view of [{ video: LECTURE, userId: 7 }, { video: WORKSHOP, userId: 12 }, { video: LECTURE },
    { video: WORKSHOP, userId: 7 }]) {
    peertube.runAction('action:api.video.viewed', videoView(view))
  }
  await waitFor(() => plugin.sender.stats.accepted + plugin.sender.stats.rejected >= 5, 'five events answered')
  await plugin.sender.flush()

  const events = sentEvents(proxy)
  assert.deepEqual(proxy.requests.map(r => r.events.length), [2, 2, 1]) // batches of at most 2
  assert.ok(proxy.requests.every(r => r.authorization === `Bearer ${PLATFORM_KEY}`))
  assert.deepEqual({ ...plugin.sender.stats }, { accepted: 5, rejected: 0, retries: 0, dropped: 0 })
  assert.deepEqual({ ...plugin.skipped }, { anonymousViews: 1, refreshGrants: 2, unknownGrants: 0, unknownUsers: 1 })
  assert.ok(events.every(e => UUID.test(e.event_id)))
  const summary = events.map(e => e.type === 'login' ? `login ${e.user_id} ${e.method}` : `view ${e.user_id} ${e.tool_id}`)
  assert.deepEqual(summary.sort(), [
    'login 12 sso', 'login 7 password', `view 12 ${WORKSHOP.uuid}`, `view 7 ${LECTURE.uuid}`, `view 7 ${WORKSHOP.uuid}`
  ].sort())
  assert.ok(events.filter(e => e.type === 'tool_use').every(e => e.tool_category === 'video' && e.action === 'open'))
  const wire = JSON.stringify(proxy.requests)
  for (const personal of ['alice', 'bob', 'carol', 'mallory', '203.0.113.7']) assert.ok(!wire.includes(personal), personal)
  assert.ok(!peertube.logs.some(l => /alice|bob|203\.0\.113/.test(l.message)), 'logs name no user')
  recordSent('batches', events)
})

test('a refused and a lost answer are resent with the same event ids', collector, async (t) => {
  // 1st POST: 503 (not passed on); 2nd: passed on and accepted, but the answer is lost;
  // 3rd: passed on again and answered. The collector saw the same events twice.
  const proxy = await proxied(t, { collectorUrl: COLLECTOR_URL, script: ['503', 'forward-and-drop', 'forward'] })
  const { peertube, plugin } = await registered(t, {
    [SETTINGS.collectorUrl]: proxy.url, [SETTINGS.apiKey]: PLATFORM_KEY, [SETTINGS.toolId]: 'skilltech.tube'
  }, { batchSize: 3 })
  peertube.runAction('action:api.user.oauth2-got-token', tokenGrant({ username: 'carol', grantType: 'password' }))
  peertube.runAction('action:api.user.oauth2-got-token', tokenGrant({ username: 'alice', grantType: 'password' }))
  peertube.runAction('action:api.video.viewed', videoView({ video: LECTURE, userId: 31 }))
  await waitFor(() => plugin.sender.stats.accepted >= 3, 'the third attempt to be accepted')

  assert.deepEqual(proxy.requests.map(r => r.step), ['503', 'forward-and-drop', 'forward'])
  const [first, ...resent] = proxy.requests.map(r => JSON.stringify(r.events))
  assert.ok(resent.every(body => body === first), 'each attempt sent the same events, same ids')
  assert.equal(plugin.sender.stats.retries, 2)
  const view = proxy.requests[2].events.find(e => e.type === 'tool_use')
  assert.deepEqual([view.tool_id, view.feature], ['skilltech.tube', LECTURE.uuid])
  recordSent('retries', proxy.requests[2].events)
})

test('a key fixed in the settings is used for the events waiting', collector, async (t) => {
  const proxy = await proxied(t, { collectorUrl: COLLECTOR_URL })
  const { peertube, plugin } = await registered(t, 
    { [SETTINGS.collectorUrl]: proxy.url, [SETTINGS.apiKey]: 'a-wrong-key' }, { batchSize: 1 })
  peertube.runAction('action:api.user.oauth2-got-token', tokenGrant({ username: 'bob', grantType: 'password' }))
  await waitFor(() => proxy.requests.length >= 2, 'two refused attempts')
  assert.equal(plugin.sender.stats.accepted, 0)
  peertube.changeSettings({ [SETTINGS.apiKey]: PLATFORM_KEY })
  await waitFor(() => plugin.sender.stats.accepted === 1, 'the event accepted with the right key')
  const ids = new Set(proxy.requests.map(r => r.events[0].event_id))
  assert.equal(ids.size, 1)
  assert.ok(peertube.logs.some(l => l.level === 'warn' && l.message.includes('401')))
  recordSent('key-fixed', proxy.requests.at(-1).events)
})
