"""Browser-side scripts for the login's second step, passkeys and Turnstile, run with
`rx.call_script`. Only an HTTP response can set the HttpOnly session cookie, and WebAuthn lives in
`navigator.credentials`, so these steps are fetches to our own /api from the page. Each script
resolves to a short string for the state's callback: "" (done; the page may be reloading), "2fa"
(the password was right, a code is needed), or a server message to show.
"""

from __future__ import annotations

import json

# base64url <-> ArrayBuffer, and a PublicKeyCredential as the JSON py_webauthn reads.
_HELPERS = (
    "const b2a = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')"
    ".padEnd(Math.ceil(s.length / 4) * 4, '=')), c => c.charCodeAt(0)).buffer;"
    "const a2b = b => btoa(String.fromCharCode(...new Uint8Array(b)))"
    ".replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');"
    "const cred = c => { const r = c.response, o = {id: c.id, rawId: a2b(c.rawId), type: c.type,"
    " authenticatorAttachment: c.authenticatorAttachment || null, clientExtensionResults: {}, response: {"
    " clientDataJSON: a2b(r.clientDataJSON)}};"
    " if (r.attestationObject) { o.response.attestationObject = a2b(r.attestationObject);"
    "  o.response.transports = r.getTransports ? r.getTransports() : []; }"
    " if (r.authenticatorData) { o.response.authenticatorData = a2b(r.authenticatorData);"
    "  o.response.signature = a2b(r.signature); o.response.userHandle = r.userHandle ? a2b(r.userHandle) : null; }"
    " return o; };"
    "const post = (url, body, headers) => fetch(url, {method: 'POST', credentials: 'same-origin',"
    " signal: AbortSignal.timeout(30000),"
    " headers: Object.assign({'Content-Type': 'application/json'}, headers || {}),"
    " body: JSON.stringify(body || {})}).then(r => r.json().catch(() => ({success: false, message: ''})));"
)
_TURNSTILE = (
    "const ts = (document.querySelector('input[name=\"cf-turnstile-response\"]') || {}).value || '';"
    "const tq = ts ? '?turnstile=' + encodeURIComponent(ts) : '';"
)
_FAILED = ".catch(e => (e && e.name === 'NotAllowedError') ? 'cancelled' : 'failed')"


def login_script(username: str, password: str, home: str) -> str:
    body = json.dumps({"username": username, "password": password})
    return (
        "(() => {" + _HELPERS + _TURNSTILE
        + f"return post('/api/user/login' + tq, {body})"
        ".then(j => { if (!j.success) return j.message || 'failed';"
        " if (j.data && j.data.require_2fa) return '2fa';"
        f" window.location.assign({json.dumps(home)}); return ''; }})" + _FAILED + "; })()"
    )


def login_code_script(code: str, home: str) -> str:
    return (
        "(() => {" + _HELPERS
        + f"return post('/api/user/login/2fa', {{code: {json.dumps(code)}}})"
        ".then(j => { if (!j.success) return j.message || 'failed';"
        f" window.location.assign({json.dumps(home)}); return ''; }})" + _FAILED + "; })()"
    )


def passkey_login_script(home: str) -> str:
    return (
        "(() => {" + _HELPERS
        + "if (!window.PublicKeyCredential) return Promise.resolve('unsupported');"
        "return post('/api/user/passkey/login/begin').then(j => { if (!j.success) throw new Error(j.message);"
        " const pk = j.data.options.publicKey; pk.challenge = b2a(pk.challenge);"
        " (pk.allowCredentials || []).forEach(c => c.id = b2a(c.id));"
        " return navigator.credentials.get({publicKey: pk}); })"
        ".then(c => post('/api/user/passkey/login/finish', cred(c)))"
        ".then(j => { if (!j.success) return j.message || 'failed';"
        f" window.location.assign({json.dumps(home)}); return ''; }})"
        ".catch(e => (e && e.name === 'NotAllowedError') ? 'cancelled' : ((e && e.message) || 'failed')); })()"
    )


def passkey_register_script(user_id: int) -> str:
    headers = json.dumps({"New-Api-User": str(user_id)})
    return (
        "(() => {" + _HELPERS
        + "if (!window.PublicKeyCredential) return Promise.resolve('unsupported');"
        f"const h = {headers};"
        "return post('/api/user/passkey/register/begin', {}, h).then(j => {"
        " if (!j.success) throw new Error(j.message);"
        " const pk = j.data.options.publicKey; pk.challenge = b2a(pk.challenge); pk.user.id = b2a(pk.user.id);"
        " (pk.excludeCredentials || []).forEach(c => c.id = b2a(c.id));"
        " return navigator.credentials.create({publicKey: pk}); })"
        ".then(c => post('/api/user/passkey/register/finish', cred(c), h))"
        ".then(j => j.success ? '' : (j.message || 'failed'))"
        ".catch(e => (e && e.name === 'NotAllowedError') ? 'cancelled' : ((e && e.message) || 'failed')); })()"
    )
