'use strict'

// A small HTTP proxy in front of the real collector, for the tests: it records every POST
// the plugin makes (the parsed events) and answers each one as scripted, so failures the
// collector would not produce on demand can be had on the real path:
//   'forward'          pass it on, answer what the collector answered
//   '503'              answer 503 + Retry-After: 0 without passing it on
//   'forward-and-drop' pass it on (the collector accepts it), then cut the connection
//                      before answering: the ack is lost, the plugin must resend
//   'hang'             never answer

const http = require('node:http')

async function startProxy ({ collectorUrl, script = [] }) {
  const requests = []
  const server = http.createServer(async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const body = Buffer.concat(chunks)
    const step = script[requests.length] || 'forward'
    requests.push({ step, authorization: req.headers.authorization, events: JSON.parse(body.toString()) })
    if (step === 'hang') return
    if (step === '503') {
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '0' })
      return res.end('{"error":"broker_unavailable"}')
    }
    let answer, text
    try {
      answer = await fetch(`${collectorUrl}${req.url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: req.headers.authorization || '' },
        body
      })
      text = await answer.text()
    } catch {
      res.writeHead(502)
      return res.end()
    }
    if (step === 'forward-and-drop') return req.socket.destroy()
    res.writeHead(answer.status, { 'Content-Type': 'application/json' })
    res.end(text)
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise(resolve => {
      server.closeAllConnections()
      server.close(resolve)
    })
  }
}

module.exports = { startProxy }
