/*
 * skillpulse-h5p.js: forwards the xAPI statements H5P content emits in the browser
 * (H5P.externalDispatcher, event 'xAPI', event.data.statement) to an xAPI statements
 * resource: Skilltech Pulse's POST /xapi/statements, or a same-origin relay in front of it.
 * No dependencies. Include it after H5P's scripts, then call:
 *
 *   SkillpulseH5P.forward({ endpoint: 'https://pulse.example.org/xapi/statements',
 *                           auth: { key: 'lrs_tools_…', secret: '…' } })
 *   SkillpulseH5P.forward({ endpoint: '/pulse/xapi/statements', relay: true })
 *
 * Statements are batched; each gets an `id` (UUID) and a `timestamp` when H5P dispatches
 * it, if it has none, so a resend is counted once and the time is the learner's. At page
 * hide (pagehide, or visibilitychange to hidden) what is waiting is sent at once, with
 * fetch keepalive (it outlives the page and, unlike sendBeacon, carries the Authorization
 * and X-Experience-API-Version headers), or with navigator.sendBeacon when `relay` says
 * the endpoint adds those headers itself.
 */
(function (root) {
  'use strict'

  var XAPI_VERSION = '1.0.3'
  var KEEPALIVE_MAX_BYTES = 60000 // browsers allow 64 KiB of keepalive bodies in flight
  var DEFAULTS = { batchSize: 10, flushIntervalMs: 3000, maxQueue: 1000, initialBackoffMs: 1000, maxBackoffMs: 60000 }

  function uuid4 () {
    if (root.crypto && typeof root.crypto.randomUUID === 'function') return root.crypto.randomUUID()
    var bytes = root.crypto.getRandomValues(new Uint8Array(16))
    bytes[6] = (bytes[6] & 0x0f) | 0x40
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1) }).join('')
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20)
  }

  function Forwarder (options) {
    if (!options || !options.endpoint) throw new Error('SkillpulseH5P: an endpoint is required')
    this.endpoint = options.endpoint
    this.relay = Boolean(options.relay)
    this.settings = {}
    for (var name in DEFAULTS) this.settings[name] = options[name] === undefined ? DEFAULTS[name] : options[name]
    this.headers = { 'Content-Type': 'application/json', 'X-Experience-API-Version': XAPI_VERSION }
    if (options.auth) this.headers.Authorization = 'Basic ' + root.btoa(options.auth.key + ':' + options.auth.secret)
    this.queue = [] // statements not yet acknowledged, oldest first
    this.inFlight = 0 // how many of the oldest are being sent
    this.alone = 0 // after a 400: how many of the oldest go one per request, to find the invalid one
    this.timer = null
    this.failures = 0
    this.stats = { forwarded: 0, acknowledged: 0, refused: 0, dropped: 0, beacons: 0 }
  }

  Forwarder.prototype.add = function (statement) {
    if (!statement || typeof statement !== 'object') return
    if (this.queue.length >= this.settings.maxQueue) {
      this.stats.dropped += 1
      return
    }
    var copy = JSON.parse(JSON.stringify(statement))
    if (!copy.id) copy.id = uuid4()
    if (!copy.timestamp) copy.timestamp = new Date().toISOString()
    this.queue.push(copy)
    this.stats.forwarded += 1
    if (this.queue.length - this.inFlight >= this.settings.batchSize) this.flush()
    else this.schedule(this.settings.flushIntervalMs)
  }

  Forwarder.prototype.schedule = function (delayMs) {
    if (this.timer !== null) return
    var self = this
    this.timer = root.setTimeout(function () { self.timer = null; self.flush() }, delayMs)
  }

  // One request at a time; what arrives meanwhile waits for the next one.
  Forwarder.prototype.flush = function () {
    if (this.inFlight || !this.queue.length) return
    var size = this.alone ? 1 : Math.min(this.settings.batchSize, this.queue.length)
    var batch = this.queue.slice(0, size)
    this.inFlight = batch.length
    var body = JSON.stringify(batch)
    var self = this
    root.fetch(this.endpoint, {
      method: 'POST', headers: this.headers, body: body, keepalive: body.length <= KEEPALIVE_MAX_BYTES
    }).then(function (response) {
      self.answered(batch.length, response.status)
    }, function () {
      self.answered(batch.length, 0)
    })
  }

  Forwarder.prototype.answered = function (count, status) {
    this.inFlight = 0
    if (status === 200 || status === 204) {
      this.done(count, 'acknowledged')
    } else if (status === 400 || status === 409 || status === 413) {
      // All or nothing (xAPI): one bad statement refuses its batch. Alone, it is dropped;
      // in a batch, each of that batch is resent alone, so the valid ones still arrive.
      if (count === 1) this.done(1, 'refused')
      else this.alone = count
    } else { // network error, 401/403 (credentials being fixed), 429, 5xx: resend the same statements later
      this.failures += 1
      var backoff = Math.min(this.settings.maxBackoffMs, this.settings.initialBackoffMs * Math.pow(2, this.failures - 1))
      this.schedule(backoff * (0.5 + Math.random() / 2))
      return
    }
    this.failures = 0
    if (this.queue.length >= this.settings.batchSize || this.alone) this.flush()
    else if (this.queue.length) this.schedule(this.settings.flushIntervalMs)
  }

  Forwarder.prototype.done = function (count, outcome) {
    this.queue.splice(0, count)
    this.stats[outcome] += count
    if (this.alone) this.alone -= count
  }

  // The page is going away (or hidden, which on mobile may be the last chance): send all
  // that waits now, in chunks that fit the keepalive budget.
  Forwarder.prototype.flushAtPageHide = function () {
    if (this.timer !== null) {
      root.clearTimeout(this.timer)
      this.timer = null
    }
    var waiting = this.queue.splice(this.inFlight) // the batch in flight, if any, is already on its way
    var chunk = []
    var bytes = 2
    for (var i = 0; i <= waiting.length; i++) {
      var size = i < waiting.length ? JSON.stringify(waiting[i]).length + 1 : Infinity
      if (chunk.length && bytes + size > KEEPALIVE_MAX_BYTES) {
        this.sendNow(chunk)
        chunk = []
        bytes = 2
      }
      if (i < waiting.length) {
        chunk.push(waiting[i])
        bytes += size
      }
    }
  }

  Forwarder.prototype.sendNow = function (chunk) {
    var body = JSON.stringify(chunk)
    if (this.relay && root.navigator.sendBeacon &&
        root.navigator.sendBeacon(this.endpoint, new root.Blob([body], { type: 'application/json' }))) {
      this.stats.beacons += chunk.length // handed to the browser: no answer will come
      return
    }
    var self = this
    root.fetch(this.endpoint, { method: 'POST', headers: this.headers, body: body, keepalive: true })
      .then(function (response) { return response.status }, function () { return 0 })
      .then(function (status) {
        if (status === 200 || status === 204) {
          self.stats.acknowledged += chunk.length
        } else { // the page lived on (only hidden) and the send failed: back in the queue, same ids
          self.queue = self.queue.concat(chunk)
          self.schedule(self.settings.initialBackoffMs)
        }
      })
  }

  Forwarder.prototype.listen = function (dispatcher) {
    var self = this
    dispatcher.on('xAPI', function (event) {
      self.add(event && event.data && event.data.statement)
    })
    root.addEventListener('pagehide', function () { self.flushAtPageHide() })
    root.document.addEventListener('visibilitychange', function () {
      if (root.document.visibilityState === 'hidden') self.flushAtPageHide()
    })
    return this
  }

  /** Start forwarding; waits for H5P.externalDispatcher when this script ran first. */
  function forward (options) {
    var forwarder = new Forwarder(options)
    var attach = function () {
      var dispatcher = root.H5P && root.H5P.externalDispatcher
      if (!dispatcher) return false
      forwarder.listen(dispatcher)
      return true
    }
    if (!attach()) {
      var tries = 0
      var poll = root.setInterval(function () {
        if (attach() || ++tries > 100) root.clearInterval(poll)
      }, 100)
    }
    return forwarder
  }

  root.SkillpulseH5P = { forward: forward, Forwarder: Forwarder, XAPI_VERSION: XAPI_VERSION }
})(typeof window !== 'undefined' ? window : globalThis)
