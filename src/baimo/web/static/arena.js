// baimo arena: relays both answers of a battle as they stream (Server-Sent Events), then
// shows the vote buttons. Every value is read with JSON.parse and shown with textContent:
// model output is never interpreted as markup. No inline script (the CSP forbids it).
(function () {
  'use strict';
  function start() {
    const box = document.getElementById('arena-battle');
    if (!box) return;
    const url = box.dataset.stream;
    if (!url) { box.dataset.state = 'ready'; return; }
    box.dataset.state = 'streaming';
    const live = {a: document.getElementById('live-a'), b: document.getElementById('live-b')};
    const src = new EventSource(url);
    src.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.done) {
        src.close();
        box.dataset.state = msg.status;
        if (msg.status === 'answered') {
          for (const id of ['arena-vote', 'arena-follow']) {
            const el = document.getElementById(id);
            if (el) el.hidden = false;
          }
        } else {
          const err = document.getElementById('arena-error');
          if (err) err.hidden = false;
        }
        return;
      }
      const el = live[msg.side];
      if (!el) return;
      if (msg.reset) el.textContent = '';
      if (typeof msg.delta === 'string') el.textContent += msg.delta;
      if (typeof msg.final === 'string') el.textContent = msg.final;
      el.dataset.chars = String(el.textContent.length);
    };
    src.onerror = () => { src.close(); box.dataset.state = 'error'; };
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
