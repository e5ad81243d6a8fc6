// Connects noVNC's client to this proxy's websocket. The token travels in the `path` parameter (`?token=…`), as
// Nova's console URLs carry it; the websocket is on the page's own host and port.
import RFB from './core/rfb.js';

const status = document.getElementById('status');
const ctrlAltDel = document.getElementById('ctrl-alt-del');

function show(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function websocketUrl() {
  const params = new URLSearchParams(window.location.search);
  // Older console URLs put the token straight in the page's query.
  const path = params.get('path') ?? (params.has('token') ? `?token=${encodeURIComponent(params.get('token'))}` : '');
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/${path.replace(/^\//, '')}`;
}

show('Connecting…');
const rfb = new RFB(document.getElementById('screen'), websocketUrl(), { wsProtocols: ['binary'] });
rfb.scaleViewport = true;
rfb.background = '#1b1d21';

rfb.addEventListener('connect', () => {
  show('Connected');
  ctrlAltDel.disabled = false;
  rfb.focus();
});
rfb.addEventListener('disconnect', (e) => {
  ctrlAltDel.disabled = true;
  // A console URL opens once: reloading the page needs a new one.
  show(e.detail.clean ? 'Disconnected (ask for a new console URL to connect again)' : 'The console could not be reached or its URL was already used or expired', true);
});
rfb.addEventListener('desktopname', (e) => {
  document.title = e.detail.name;
});
rfb.addEventListener('credentialsrequired', () => show('The console asks for credentials, which Stratus consoles do not use', true));
rfb.addEventListener('securityfailure', (e) => show(`Security negotiation failed: ${e.detail.reason ?? e.detail.status}`, true));
ctrlAltDel.addEventListener('click', () => rfb.sendCtrlAltDel());
