'use strict'

// A stand-in for what PeerTube hands a server plugin's register(): registerHook,
// registerSetting, settingsManager, peertubeHelpers (logger, database.query,
// user.getAuthUser), with the behaviours the plugin relies on, as PeerTube's sources
// have them (server/core/lib/plugins/register-helpers.ts, plugin-helpers-builder.ts,
// hooks.ts):
// - action hooks are run without being awaited (Hooks.runAction), so runAction() returns
//   what the handlers returned, synchronously;
// - getAuthUser(res) reads res.locals.oauth.token.User and loads that user;
// - database.query(sql, { type: 'SELECT', bind }) resolves to an array of row objects.

const USER_ID_BY_USERNAME = 'SELECT "id" FROM "user" WHERE "username" = $username'

function standIn ({ settings = {}, users = [] } = {}) {
  const hooks = new Map()
  const registeredSettings = []
  const settingListeners = []
  const logs = []
  let stored = { ...settings }

  const log = level => (message) => { logs.push({ level, message: String(message) }) }

  const options = {
    registerHook ({ target, handler }) {
      if (!hooks.has(target)) hooks.set(target, [])
      hooks.get(target).push(handler)
    },
    registerSetting (setting) {
      registeredSettings.push(setting)
      if (!(setting.name in stored) && setting.default !== undefined) stored[setting.name] = setting.default
    },
    settingsManager: {
      getSetting: async name => stored[name],
      getSettings: async names => Object.fromEntries(names.map(name => [name, stored[name]])),
      onSettingsChange: listener => settingListeners.push(listener)
    },
    storageManager: {
      getData: async () => undefined,
      storeData: async () => undefined
    },
    peertubeHelpers: {
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      database: {
        async query (sql, { type, bind } = {}) {
          if (sql !== USER_ID_BY_USERNAME || type !== 'SELECT') throw new Error(`unexpected query: ${sql}`)
          return users.filter(user => user.username === bind.username).map(user => ({ id: user.id }))
        }
      },
      user: {
        loadById: async id => users.find(user => user.id === id),
        getAuthUser (res) {
          const user = res && res.locals && res.locals.oauth && res.locals.oauth.token && res.locals.oauth.token.User
          if (!user) return undefined
          return Promise.resolve(users.find(known => known.id === user.id))
        }
      }
    }
  }

  return {
    options,
    logs,
    registeredSettings,
    hooks,
    runAction (target, params) {
      return (hooks.get(target) || []).map(handler => handler(params))
    },
    changeSettings (changes) {
      stored = { ...stored, ...changes }
      for (const listener of settingListeners) listener({ ...stored })
    }
  }
}

// What the two hooks receive, shaped as PeerTube builds them.
function tokenGrant ({ username, grantType, externalAuthToken }) {
  const body = { client_id: 'client', client_secret: 'secret', username }
  if (grantType !== undefined) body.grant_type = grantType
  if (grantType === 'password') body.password = 'not-read-by-the-plugin'
  if (grantType === 'refresh_token') body.refresh_token = 'refresh'
  if (externalAuthToken) body.externalAuthToken = externalAuthToken
  return { username, ip: '203.0.113.7', req: { body, ip: '203.0.113.7' }, res: { locals: {} } }
}

function videoView ({ video, userId }) {
  const locals = userId === undefined ? {} : { oauth: { token: { User: { id: userId } } } }
  return { video, ip: '203.0.113.7', req: { body: { currentTime: 3 } }, res: { locals } }
}

module.exports = { standIn, tokenGrant, videoView }
