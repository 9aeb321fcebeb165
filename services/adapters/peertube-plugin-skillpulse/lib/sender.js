'use strict'

// Batches contract-v1 events and POSTs them to the collector's /v1/events in the
// background. A batch that fails for a reason that can pass (network error, timeout,
// 401 while the key is being fixed, 408, 429, 5xx) is resent unchanged, so with the same
// event_ids, and the collector counts it once. Nothing here is awaited by a PeerTube
// request: hooks only call enqueue(), which returns at once.

const MAX_EVENTS_PER_REQUEST = 1000 // the collector's limit per POST

const DEFAULTS = Object.freeze({
  batchSize: 100, // send as soon as this many are waiting...
  flushIntervalMs: 5000, // ...or this long after the first one arrived
  maxQueue: 10000, // memory bound while the collector is away; beyond it, new events are dropped (and counted)
  initialBackoffMs: 500,
  maxBackoffMs: 30000,
  requestTimeoutMs: 10000,
  closeTimeoutMs: 5000 // how long unregister() keeps trying to send what is left
})

function isRetryable (status) {
  return status === 401 || status === 408 || status === 429 || status >= 500
}

function retryAfterMs (response) {
  const seconds = Number(response.headers.get('retry-after'))
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 0
}

// Counts of what each rejection was for, never the events themselves (no payload in logs).
function rejectionReasons (body) {
  const reasons = {}
  for (const result of (body && Array.isArray(body.results)) ? body.results : []) {
    for (const error of result.errors || []) reasons[error.reason] = (reasons[error.reason] || 0) + 1
  }
  return reasons
}

class EventSender {
  /**
   * @param {object} options
   * @param {() => ({url: string, apiKey: string} | null)} options.target where to send, read at each attempt
   * @param {{info: Function, warn: Function, error: Function, debug: Function}} options.logger
   */
  constructor ({ target, logger, fetch = globalThis.fetch, ...tuning }) {
    this._target = target
    this._logger = logger
    this._fetch = fetch
    this._tuning = { ...DEFAULTS, ...tuning }
    this._queue = []
    this._timer = null
    this._draining = null
    this._closingBy = null // deadline (ms since epoch) once close() was called
    this.stats = { accepted: 0, rejected: 0, retries: 0, dropped: 0 }
  }

  get pending () {
    return this._queue.length
  }

  enqueue (event) {
    if (this._closingBy !== null) return
    if (this._queue.length >= this._tuning.maxQueue) {
      this.stats.dropped += 1
      if (this.stats.dropped === 1 || this.stats.dropped % 1000 === 0) {
        this._logger.error(`skillpulse: queue full (${this._tuning.maxQueue}); ${this.stats.dropped} events dropped so far`)
      }
      return
    }
    this._queue.push(event)
    if (this._queue.length >= this._tuning.batchSize) {
      this._drainInBackground()
    } else if (this._timer === null && this._draining === null) {
      this._timer = setTimeout(() => this._drainInBackground(), this._tuning.flushIntervalMs)
      this._timer.unref()
    }
  }

  /** Send everything waiting now; resolves once the queue is empty (or close()'s deadline passed). */
  flush () {
    return this._drainInBackground()
  }

  /** Stop taking events and try to send what is left for at most `timeoutMs`. */
  async close ({ timeoutMs = this._tuning.closeTimeoutMs } = {}) {
    this._closingBy = Date.now() + timeoutMs
    await this._drainInBackground()
    if (this._queue.length) this._logger.warn(`skillpulse: stopped with ${this._queue.length} events unsent`)
  }

  _drainInBackground () {
    if (this._timer !== null) {
      clearTimeout(this._timer)
      this._timer = null
    }
    if (this._draining === null) {
      this._draining = this._drain()
        .catch(err => this._logger.error(`skillpulse: sender stopped on an unexpected error: ${err.message}`))
        .finally(() => { this._draining = null })
    }
    return this._draining
  }

  _pastDeadline () {
    return this._closingBy !== null && Date.now() >= this._closingBy
  }

  async _drain () {
    while (this._queue.length && !this._pastDeadline()) {
      const batch = this._queue.slice(0, Math.min(this._tuning.batchSize, MAX_EVENTS_PER_REQUEST))
      if (!await this._deliver(batch)) return // close() ran out of time: the batch stays queued, unsent
      this._queue.splice(0, batch.length)
    }
  }

  // Until the batch is answered for good (accepted, or refused as invalid): the same body every time.
  async _deliver (batch) {
    const body = JSON.stringify(batch)
    for (let attempt = 1; ; attempt++) {
      const waitMs = await this._attempt(body, batch.length)
      if (waitMs === null) return true
      this.stats.retries += 1
      const backoff = Math.min(this._tuning.maxBackoffMs, this._tuning.initialBackoffMs * 2 ** (attempt - 1))
      const delay = Math.max(waitMs, backoff * (0.5 + Math.random() / 2))
      if (this._closingBy !== null && Date.now() + delay >= this._closingBy) return false
      // While closing, the wait keeps the process up (it is the last work left); else it
      // must not hold PeerTube's process open on its way out.
      await sleep(delay, { keepAlive: this._closingBy !== null })
    }
  }

  /** null when the batch is done with; else how long the collector asked us to wait (ms). */
  async _attempt (body, count) {
    const target = this._target()
    if (!target) {
      this._logger.warn('skillpulse: collector URL or API key not set; events kept until they are')
      return 0
    }
    let response
    try {
      response = await this._fetch(target.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${target.apiKey}` },
        body,
        signal: AbortSignal.timeout(this._tuning.requestTimeoutMs)
      })
    } catch (err) {
      this._logger.warn(`skillpulse: collector unreachable (${err.name}); ${count} events will be resent`)
      return 0
    }
    if (response.status === 202 || response.status === 422) {
      const answer = await response.json().catch(() => null)
      const accepted = answer ? answer.accepted || 0 : 0
      const rejected = answer ? answer.rejected || 0 : count
      this.stats.accepted += accepted
      this.stats.rejected += rejected
      if (rejected) this._logger.warn(`skillpulse: ${rejected} events refused: ${JSON.stringify(rejectionReasons(answer))}`)
      return null
    }
    await response.arrayBuffer().catch(() => null) // free the connection
    if (isRetryable(response.status)) {
      const hint = response.status === 401 ? ' (check the API key in the plugin settings)' : ''
      this._logger.warn(`skillpulse: collector answered ${response.status}${hint}; ${count} events will be resent`)
      return retryAfterMs(response)
    }
    this.stats.rejected += count
    this._logger.error(`skillpulse: collector answered ${response.status}; ${count} events dropped`)
    return null
  }
}

function sleep (ms, { keepAlive }) {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms)
    if (!keepAlive) timer.unref()
  })
}

module.exports = { EventSender, DEFAULTS }
