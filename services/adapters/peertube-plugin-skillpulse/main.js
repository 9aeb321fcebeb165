'use strict'

// PeerTube server plugin: skilltech.tube's logins and video views, as Skilltech Pulse
// contract-v1 events (login, tool_use of category video), sent to the collector in the
// background. The user is PeerTube's numeric user id (the collector pseudonymises it);
// usernames, IP addresses and request details are read only to decide, never sent or logged.

const { randomUUID } = require('node:crypto')
const { EventSender } = require('./lib/sender')

const SETTINGS = Object.freeze({
  collectorUrl: 'collector-url',
  apiKey: 'api-key',
  toolId: 'tool-id'
})

const USER_ID_BY_USERNAME = 'SELECT "id" FROM "user" WHERE "username" = $username'

function eventsUrl (collectorUrl) {
  const base = collectorUrl.trim().replace(/\/+$/, '')
  return base.endsWith('/v1/events') ? base : `${base}/v1/events`
}

// How the token was granted: a login method, or null when it is no login (a refresh-token
// grant renews a session, it does not open one). PeerTube's token endpoint knows the
// `password` grant (own accounts, id-and-pass plugins such as LDAP, and external auth such
// as OpenID Connect or SAML, which send `externalAuthToken`) and `refresh_token`; its
// e-mail login (recent versions) fires the same hook without a grant type.
function loginMethod (req) {
  const body = req && req.body
  if (!body || typeof body !== 'object') return null // PeerTube too old to say which grant it was
  if (body.grant_type === 'password') return body.externalAuthToken ? 'sso' : 'password'
  if (body.grant_type === undefined) return 'other'
  return null
}

function registerSettings (registerSetting) {
  registerSetting({
    name: SETTINGS.collectorUrl,
    label: 'Skilltech Pulse collector URL',
    type: 'input',
    descriptionHTML: 'For example <code>https://pulse.example.org</code>; events go to <code>/v1/events</code> there.',
    default: '',
    private: true
  })
  registerSetting({
    name: SETTINGS.apiKey,
    label: 'API key of the platform skilltech.tube',
    type: 'input-password',
    descriptionHTML: 'Given by the Skilltech Pulse operator (<code>skillpulse keys</code>). Sent as a Bearer token.',
    default: '',
    private: true
  })
  registerSetting({
    name: SETTINGS.toolId,
    label: 'Tool id of video views (optional)',
    type: 'input',
    descriptionHTML: 'Empty: each video is its own tool (tool id = the video UUID). ' +
      'Set: every view names this tool, and the video UUID becomes the feature.',
    default: '',
    private: true
  })
}

/** A plugin with its own sender tuning (the tests shorten the timers); PeerTube uses the defaults. */
function createPlugin (senderOptions = {}) {
  let sender = null
  let settings = {}
  const skipped = { anonymousViews: 0, refreshGrants: 0, unknownGrants: 0, unknownUsers: 0 }

  async function register ({ registerHook, registerSetting, settingsManager, peertubeHelpers }) {
    const { logger } = peertubeHelpers
    registerSettings(registerSetting)
    settings = await settingsManager.getSettings(Object.values(SETTINGS))
    settingsManager.onSettingsChange(changed => { settings = changed })

    sender = new EventSender({
      logger,
      target: () => {
        const url = settings[SETTINGS.collectorUrl]
        const apiKey = settings[SETTINGS.apiKey]
        return url && apiKey ? { url: eventsUrl(url), apiKey } : null
      },
      ...senderOptions
    })

    // Action hooks are not awaited by PeerTube; still, each handler returns at once and
    // does its work (a user lookup, then the queue) in the background.
    const inBackground = work => (params) => {
      const occurredAt = new Date().toISOString()
      work(params, occurredAt).catch(err => logger.error(`skillpulse: hook failed: ${err.message}`))
    }

    registerHook({
      target: 'action:api.video.viewed',
      handler: inBackground(async ({ video, res }, occurredAt) => {
        if (!video || !video.uuid) return
        const viewer = res ? await peertubeHelpers.user.getAuthUser(res) : undefined
        if (!viewer || viewer.id === undefined || viewer.id === null) {
          skipped.anonymousViews += 1 // B2, DAU and the others count users: an anonymous view names none
          return
        }
        const toolId = (settings[SETTINGS.toolId] || '').trim()
        sender.enqueue({
          event_id: randomUUID(),
          type: 'tool_use',
          occurred_at: occurredAt,
          user_id: String(viewer.id),
          tool_id: toolId || video.uuid,
          tool_category: 'video',
          action: 'open',
          ...(toolId ? { feature: video.uuid } : {})
        })
      })
    })

    registerHook({
      target: 'action:api.user.oauth2-got-token',
      handler: inBackground(async ({ username, req }, occurredAt) => {
        const method = loginMethod(req)
        if (method === null) {
          if (req && req.body && req.body.grant_type === 'refresh_token') {
            skipped.refreshGrants += 1
          } else if (skipped.unknownGrants++ === 0) {
            logger.warn('skillpulse: a token grant this plugin cannot tell from a refresh; logins are not sent')
          }
          return
        }
        if (typeof username !== 'string' || !username) return
        const rows = await peertubeHelpers.database.query(USER_ID_BY_USERNAME, { type: 'SELECT', bind: { username } })
        const userId = Array.isArray(rows) && rows[0] ? rows[0].id : undefined
        if (userId === undefined || userId === null) {
          skipped.unknownUsers += 1
          return
        }
        sender.enqueue({
          event_id: randomUUID(),
          type: 'login',
          occurred_at: occurredAt,
          user_id: String(userId),
          method
        })
      })
    })

    logger.info('skillpulse: sending logins and video views to Skilltech Pulse')
  }

  async function unregister () {
    if (sender) await sender.close()
    sender = null
  }

  return {
    register,
    unregister,
    get sender () { return sender },
    skipped
  }
}

const plugin = createPlugin()

module.exports = {
  register: plugin.register,
  unregister: plugin.unregister,
  createPlugin,
  loginMethod,
  eventsUrl,
  SETTINGS
}
