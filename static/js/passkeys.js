/* Passkeys: log in without typing, and add a passkey on the account page (WebAuthn).
   Progressive enhancement: the buttons show only where the browser can make and use passkeys. */
const doc = globalThis.document;

var WORDS = {
  cancelled: "No passkey was used: it was cancelled or took too long. You can try again.",
  unsupported: "This browser cannot use passkeys. Please log in with your email and password.",
  exists: "This device already has a passkey for your account.",
  network: "Rehab Log could not be reached. Check your connection and try again.",
  failed: "That did not work. Please try again."
};

/** Bytes (ArrayBuffer or view) as unpadded base64url text. */
export function toBase64url(buffer) {
  var bytes = new Uint8Array(buffer.buffer ? buffer.buffer.slice(buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength) : buffer);
  var text = "";
  for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return globalThis.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Unpadded base64url text as an ArrayBuffer. */
export function fromBase64url(text) {
  var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  while (b64.length % 4) b64 += "=";
  var raw = globalThis.atob(b64);
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

/** True when this browser can make and use passkeys. */
export function supported() {
  return !!(globalThis.PublicKeyCredential && globalThis.navigator.credentials &&
    globalThis.navigator.credentials.create && globalThis.isSecureContext);
}

function csrfToken() {
  var meta = doc.querySelector('meta[name="csrf-token"]');
  if (meta) return meta.content;
  var input = doc.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

/** POST JSON with the CSRF token; resolve to the JSON answer, or throw its message. */
async function postJson(url, body) {
  var response;
  try {
    response = await globalThis.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    });
  } catch (e) {
    throw new Error(WORDS.network);
  }
  var data = {};
  try { data = await response.json(); } catch (e) { /* not JSON: a generic message */ }
  if (!response.ok) throw new Error(data.message || WORDS.failed);
  return data;
}

function creationOptions(options) {
  var o = Object.assign({}, options);
  o.challenge = fromBase64url(options.challenge);
  o.user = Object.assign({}, options.user, { id: fromBase64url(options.user.id) });
  o.excludeCredentials = (options.excludeCredentials || []).map(function (c) {
    return Object.assign({}, c, { id: fromBase64url(c.id) });
  });
  return o;
}

function requestOptions(options) {
  var o = Object.assign({}, options);
  o.challenge = fromBase64url(options.challenge);
  o.allowCredentials = (options.allowCredentials || []).map(function (c) {
    return Object.assign({}, c, { id: fromBase64url(c.id) });
  });
  return o;
}

function credentialJson(credential) {
  var r = credential.response;
  var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
  }
  return { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
    response: response, authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: {} };
}

function deviceError(error) {
  if (error && error.name === "NotAllowedError") return WORDS.cancelled;
  if (error && error.name === "InvalidStateError") return WORDS.exists;
  if (error && error.name === "NotSupportedError") return WORDS.unsupported;
  return (error && error.message) || WORDS.failed;
}

function say(box, message) {
  box.textContent = message;
  box.hidden = !message;
}

/** The login page: "Log in with a passkey" (no email typed: the device offers its passkeys). */
function initLogin(block) {
  if (!supported()) return;
  var button = doc.getElementById("passkey-login-button");
  var box = block.querySelector("#passkey-message");
  block.hidden = false;
  button.addEventListener("click", async function () {
    say(box, "");
    button.disabled = true;
    try {
      var options = await postJson(block.dataset.options);
      var credential;
      try {
        credential = await globalThis.navigator.credentials.get({ publicKey: requestOptions(options) });
      } catch (error) {
        throw new Error(deviceError(error));
      }
      if (!credential) throw new Error(WORDS.cancelled);
      var remember = doc.querySelector('input[name="remember"]');
      var done = await postJson(block.dataset.login, {
        credential: credentialJson(credential), remember: !!(remember && remember.checked) });
      globalThis.location.assign(done.redirect || "/");
    } catch (error) {
      say(box, error.message || WORDS.failed);
      button.disabled = false;
    }
  });
}

/** The passkeys page: name the passkey, make it on this device, store it, show the list. */
function initAdd(form) {
  if (!supported()) return;
  var note = doc.getElementById("passkey-unsupported");
  var box = form.querySelector("#passkey-message");
  var button = form.querySelector('button[type="submit"]');
  if (note) note.hidden = true;
  form.hidden = false;
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    say(box, "");
    button.disabled = true;
    try {
      var options = await postJson(form.dataset.options);
      var credential;
      try {
        credential = await globalThis.navigator.credentials.create({ publicKey: creationOptions(options) });
      } catch (error) {
        throw new Error(deviceError(error));
      }
      if (!credential) throw new Error(WORDS.cancelled);
      await postJson(form.dataset.register, {
        credential: credentialJson(credential), name: form.elements.name.value });
      globalThis.location.reload();
    } catch (error) {
      say(box, error.message || WORDS.failed);
      button.disabled = false;
    }
  });
}

function init() {
  var login = doc.getElementById("passkey-login");
  if (login) initLogin(login);
  var add = doc.getElementById("passkey-add");
  if (add) initAdd(add);
}

if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
else init();
