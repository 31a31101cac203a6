// A lock holder in its own process, for the "holder killed" test: acquires the lock over HTTP,
// prints the grant as one JSON line, then heartbeats every ttl/3 like the desktop client, until
// it is killed. Configured by LOCKSTEP_URL, LOCKSTEP_TOKEN, LOCKSTEP_DOC, LOCKSTEP_CLIENT.
const { LOCKSTEP_URL: url, LOCKSTEP_TOKEN: token, LOCKSTEP_DOC: doc, LOCKSTEP_CLIENT: clientId } = process.env;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

const res = await fetch(`${url}/api/documents/${doc}/lock`, {
  method: "POST",
  headers,
  body: JSON.stringify({ client_id: clientId }),
});
const grant = await res.json();
if (res.status !== 200) {
  console.log(JSON.stringify({ type: "refused", status: res.status, body: grant }));
  process.exit(1);
}
console.log(JSON.stringify({ type: "held", lock_token: grant.lock_token, expires_at: grant.expires_at, pid: process.pid }));

setInterval(async () => {
  const beat = await fetch(`${url}/api/documents/${doc}/lock/heartbeat`, {
    method: "POST",
    headers,
    body: JSON.stringify({ client_id: clientId, lock_token: grant.lock_token }),
  });
  const body = await beat.json();
  console.log(JSON.stringify({ type: "beat", status: beat.status, expires_at: body.expires_at }));
  if (beat.status !== 200) process.exit(2);
}, Math.floor(grant.ttl_ms / 3));
