/*
 * Just enough of H5P's core for the forwarder's browser test: H5P.EventDispatcher
 * (on / trigger, as h5p-event-dispatcher.js), H5P.externalDispatcher, and statements built
 * the way H5P.XAPIEvent builds them (h5p-x-api-event.js, h5p-x-api.js): the actor from
 * H5PIntegration.user (name + mbox) or a stored account for guests, an ADL verb with its
 * display, the content as an Activity with the h5p-local-content-id extension, the library
 * as a context category, a scored result; no id and no timestamp (H5P leaves them to the LRS).
 */
(function (root) {
  'use strict'
  var H5P = root.H5P = root.H5P || {}

  H5P.EventDispatcher = function () {
    var listeners = {}
    this.on = function (type, listener, thisArg) {
      (listeners[type] = listeners[type] || []).push({ listener: listener, thisArg: thisArg })
    }
    this.trigger = function (event) {
      (listeners[event.type] || []).forEach(function (t) { t.listener.call(t.thisArg || this, event) }, this)
    }
  }
  H5P.externalDispatcher = new H5P.EventDispatcher()

  H5P.XAPIEvent = function () {
    this.type = 'xAPI'
    this.data = { statement: {} }
  }

  function actor (user) {
    if (user.mail) return { name: user.name, mbox: 'mailto:' + user.mail, objectType: 'Agent' }
    return { account: { name: user.guestId, homePage: root.H5PIntegration.siteUrl }, objectType: 'Agent' }
  }

  /** An xAPI event as an H5P content type triggers it, for `user` on content `contentId`. */
  H5P.standInEvent = function (user, verb, contentId, options) {
    options = options || {}
    var event = new H5P.XAPIEvent()
    var content = root.H5PIntegration.contents['cid-' + contentId]
    var statement = event.data.statement
    statement.actor = actor(user)
    statement.verb = { id: 'http://adlnet.gov/expapi/verbs/' + verb, display: { 'en-US': verb } }
    statement.object = {
      id: content.url + (options.subContentId ? '?subContentId=' + options.subContentId : ''),
      objectType: 'Activity',
      definition: {
        extensions: { 'http://h5p.org/x-api/h5p-local-content-id': contentId },
        name: { 'en-US': content.title }
      }
    }
    statement.context = {
      contextActivities: { category: [{ id: 'http://h5p.org/libraries/' + content.library, objectType: 'Activity' }] }
    }
    if (options.score !== undefined) {
      statement.result = {
        score: { min: 0, max: options.max, raw: options.score, scaled: options.score / options.max },
        completion: true,
        success: options.score === options.max,
        duration: 'PT42.5S'
      }
    }
    return event
  }
})(window)
